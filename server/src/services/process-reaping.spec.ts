/**
 * A rigd killed with SIGKILL cannot tear anything down; its service processes keep
 * running in their own process groups. The next rigd on the same RIG_DIR must find
 * them through the pid records and kill them (SPEC §10, §12).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { bearer, eventually, FIXTURES, processesWith, readRigdToken, RIGD_MAIN, spec } from "../testing/rigd-harness.js";

async function spawnRigd(rigDir: string, addrFile: string) {
  rmSync(addrFile, { force: true });
  const child = spawn(process.execPath, [RIGD_MAIN, "--rig-dir", rigDir, "--addr-file", addrFile], { stdio: "ignore" });
  await eventually(() => existsSync(addrFile), 20_000, "the addr file");
  const address = readFileSync(addrFile, "utf8").trim();
  return { child, client: createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(readRigdToken(addrFile))] })) };
}

test("the next rigd kills the service processes of a rigd that was killed with SIGKILL", async () => {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-reap-"));
  const addrFile = join(rigDir, "addr");
  const marker = join(rigDir, "service-marker");
  const first = await spawnRigd(rigDir, addrFile);
  let second: Awaited<ReturnType<typeof spawnRigd>> | undefined;
  try {
    const { environmentId } = await first.client.createEnvironment({
      spec: spec({
        name: "doomed",
        services: [{ name: "api", config: { case: "process", value: { command: process.execPath, args: [join(FIXTURES, "chain-server.js"), marker] } } }],
      }),
    });
    for await (const res of first.client.watchEvents({ environmentId })) if (res.event?.type === "environment.up") break;
    assert.equal(processesWith(marker).length, 1, "the service runs");

    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    await sleep(200);
    assert.equal(processesWith(marker).length, 1, "a killed rigd leaves its service running");

    second = await spawnRigd(rigDir, addrFile);
    await eventually(() => processesWith(marker).length === 0, 10_000, "the orphaned service to be reaped");
  } finally {
    for (const pid of processesWith(marker)) process.kill(pid, "SIGKILL");
    first.child.kill("SIGKILL");
    second?.child.kill("SIGTERM");
    if (second) await new Promise((r) => second?.child.once("exit", r));
    rmSync(rigDir, { recursive: true, force: true });
  }
});
