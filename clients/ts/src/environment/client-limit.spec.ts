/**
 * The SDK names its test process to rigd (`rig-client: ts pid N`), so rigd's limit of
 * environments per client stops a runaway test without starving the others, and its
 * error says which process it counted.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { rig } from "../index.js";

test("a test process over rigd's per-client limit gets an error naming it", async () => {
  const dir = await mkdtemp(join(tmpdir(), "rig-client-limit-"));
  const addrFile = join(dir, "rigd.addr");
  const rigd = spawn(process.execPath, [fileURLToPath(import.meta.resolve("@rig/server/rigd")), "--rig-dir", dir, "--addr-file", addrFile, "--limit", "environments-per-client=1"], { stdio: "ignore" });
  try {
    while (!existsSync(addrFile)) await sleep(20);
    const server = readFileSync(addrFile, "utf8").trim();
    const token = readFileSync(join(dir, "rigd.token"), "utf8").trim();
    const services = { idle: rig.process("sleep", "30").noIngress() };
    await using first = await rig.up(services, { server, token, observe: false });
    await assert.rejects(rig.up(services, { server, token, observe: false }), (err: Error) => {
      assert.match(err.message, new RegExp(`this client \\(ts pid ${process.pid}\\) already runs 1 environments in this rigd, the limit per client \\(rigd --limit environments-per-client=N\\)`));
      return true;
    });
    assert.ok(first.id);
  } finally {
    rigd.kill("SIGTERM");
    await new Promise((r) => rigd.once("exit", r));
    await rm(dir, { recursive: true, force: true });
  }
});
