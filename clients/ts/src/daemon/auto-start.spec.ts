/**
 * Auto-start against real rigd processes (SPEC §10): the first `up` starts rigd, test
 * processes started at the same moment share exactly one, a stale addr file is not
 * trusted, and RIG_SERVER skips auto-start. Each test uses its own RIG_DIR and stops
 * only the rigd started for it.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { mkdir } from "node:fs/promises";
import { test } from "node:test";
import { RigDaemonError, rig } from "../index.js";
import { fixture, runNode } from "../test-fixtures/run-node.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";
import { locateRigd, RIGD_NODE_FLAGS, rigdFiles } from "./rigd-location.js";

const version = locateRigd().version;

test("no rigd running: two test processes started at once share exactly one rigd", async (t) => {
  const rigDir = await isolatedRigDir();
  t.after(() => rigDir.dispose());
  assert.deepEqual(rigDir.rigdPids(), []);

  const runs = await Promise.all([1, 2].map(() => runNode(fixture("up-and-report.js"), { RIG_DIR: rigDir.dir })));
  const reports = runs.map((run) => {
    assert.equal(run.code, 0, `fixture failed:\n${run.stderr}`);
    return JSON.parse(run.stdout.trim()) as { server: string; id: string; answer: string };
  });

  assert.equal(reports[0]?.answer, "pong");
  assert.equal(reports[0]?.server, reports[1]?.server, "both processes talked to the same rigd");
  assert.notEqual(reports[0]?.id, reports[1]?.id);
  const addr = readFileSync(rigdFiles(rigDir.dir, version).addrFile, "utf8").trim();
  assert.equal(reports[0]?.server, addr);
  assert.equal(rigDir.rigdPids().length, 1, "exactly one rigd process for this RIG_DIR");
  // It runs with rigd's node flags (V8 sizes its young generation only at start).
  const [pid] = rigDir.rigdPids();
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  for (const flag of RIGD_NODE_FLAGS) assert.ok(argv.includes(flag), `rigd runs without ${flag}: ${argv.join(" ")}`);
  // And only one was ever started: each rigd announces itself once in the shared output file.
  const output = readFileSync(rigdFiles(rigDir.dir, version).outputFile, "utf8");
  assert.equal(output.match(/serving on/g)?.length, 1, output);

  // The next up, in this process, finds the running rigd through the addr file.
  const env = await rig.up({ ping: httpFunc() }, { name: "reuse" });
  assert.equal(env.server, addr);
  await env.down();
  assert.equal(rigDir.rigdPids().length, 1);
});

test("a stale addr file (rigd gone) is replaced by a freshly started rigd", async (t) => {
  const rigDir = await isolatedRigDir();
  t.after(() => rigDir.dispose());
  const { addrFile } = rigdFiles(rigDir.dir, version);
  await mkdir(rigDir.dir, { recursive: true });
  writeFileSync(addrFile, "127.0.0.1:1\n");

  await using env = await rig.up({ ping: httpFunc("pong") });
  assert.equal(await (await fetch(env.url("ping"))).text(), "pong");
  assert.notEqual(env.server, "127.0.0.1:1");
  assert.equal(readFileSync(addrFile, "utf8").trim(), env.server);
  assert.equal(rigDir.rigdPids().length, 1);
});

test("RIG_SERVER names the rigd to use and nothing is started", async (t) => {
  const serving = await isolatedRigDir();
  t.after(() => serving.dispose());
  const first = await rig.up({ ping: httpFunc() });
  await first.down();

  const other = await isolatedRigDir();
  t.after(() => other.dispose());
  process.env.RIG_SERVER = first.server;
  t.after(() => delete process.env.RIG_SERVER);
  // Without RIG_TOKEN the SDK cannot know the token of a rigd in another RIG_DIR.
  await assert.rejects(rig.up({ ping: httpFunc() }), /no token for the rigd at .*RIG_TOKEN/);
  process.env.RIG_TOKEN = readFileSync(rigdFiles(serving.dir, version).tokenFile, "utf8").trim();
  t.after(() => delete process.env.RIG_TOKEN);

  await using env = await rig.up({ ping: httpFunc("via RIG_SERVER") });
  assert.equal(env.server, first.server);
  assert.equal(await (await fetch(env.url("ping"))).text(), "via RIG_SERVER");
  assert.deepEqual(other.rigdPids(), []);
  assert.equal(existsSync(rigdFiles(other.dir, version).addrFile), false);

  process.env.RIG_SERVER = "127.0.0.1:1";
  await assert.rejects(rig.up({ ping: httpFunc() }), (err: Error) => {
    assert.ok(err instanceof RigDaemonError);
    assert.match(err.message, /no healthy rigd at 127\.0\.0\.1:1 \(from RIG_SERVER\)/);
    return true;
  });
});

test("a rigd on a unix socket is driven through unix:PATH with its token", async (t) => {
  const dir = await isolatedRigDir();
  t.after(() => dir.dispose());
  const socket = join(dir.dir, "rigd.sock");
  const addrFile = join(dir.dir, "sock.addr");
  const command = locateRigd();
  const child = spawn(command.command, [...command.args, "--rig-dir", dir.dir, "--addr-file", addrFile, "--listen", `unix:${socket}`, "--idle", "0"], {
    stdio: "ignore",
  });
  t.after(() => {
    child.kill("SIGTERM");
  });
  for (let i = 0; i < 300 && !existsSync(addrFile); i++) await sleep(20);
  assert.equal(readFileSync(addrFile, "utf8").trim(), `unix:${socket}`);
  const token = readFileSync(join(dir.dir, "sock.token"), "utf8").trim();

  await using env = await rig.up({ ping: httpFunc("via the socket") }, { server: `unix:${socket}`, token });
  assert.equal(env.server, `unix:${socket}`);
  assert.equal(await (await fetch(env.url("ping"))).text(), "via the socket");

  await assert.rejects(rig.up({ ping: httpFunc() }, { server: `unix:${socket}`, token: "wrong" }), /unauthenticated|rigd token/i);
});
