/**
 * A lock held while rigd goes away is lost, never silently, and the next rigd serves
 * locks again.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectRigd } from "../daemon/auto-start.js";
import { rig } from "../index.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";
import { fixture } from "../test-fixtures/run-node.js";

interface Note {
  pid: number;
  t: number;
  ev: string;
  mode: string;
  message?: string;
}
const read = (file: string): Note[] =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Note) : [];

test("rigd stopping while a lock is held: the holder sees it lost; lockAll works on the next rigd", async (t) => {
  await using dir = await isolatedRigDir();
  const out = join(dir.dir, "out.jsonl");
  const env: NodeJS.ProcessEnv = { ...process.env, LOCK_OUT: out, LOCK_MODE: "keep", RIG_DIR: dir.dir };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [fixture("lock-holder.js")], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise((r) => child.once("exit", r));
  await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("acquired") && resolve()));
  await dir.stopRigd();
  t.diagnostic("rigd stopped");
  await exited;
  const lost = read(out).find((n) => n.ev === "lost");
  assert.match(lost?.message ?? "", /lock on shared-db lost/);
  t.diagnostic("lost seen");
  // A fresh rigd (auto-started) hands out the locks again.
  await using both = await rig.lockAll([rig.resource("a"), rig.resource("b")]);
  assert.deepEqual(both.resources, ["a", "b"]);
  assert.ok(both.held);
});

test("rigd killed while one process holds a lock and this one waits: the holder sees it lost, the waiter gets it from the next rigd", async () => {
  await using dir = await isolatedRigDir();
  const out = join(dir.dir, "out.jsonl");
  const env: NodeJS.ProcessEnv = { ...process.env, LOCK_OUT: out, LOCK_MODE: "keep", RIG_DIR: dir.dir };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [fixture("lock-holder.js")], { env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("acquired") && resolve()));
  const [first] = dir.rigdPids();
  assert.ok(first, "the holder started a rigd");

  const waiting = rig.resource("shared-db").lock({ signal: AbortSignal.timeout(60_000) });
  const locks = await connectRigd();
  for (let queued = false; !queued; await sleep(20)) {
    const { resources } = await locks.locks.listLocks({});
    queued = resources.some((r) => r.name === "shared-db" && r.waiters.length === 1);
  }
  process.kill(first, "SIGKILL");
  await exited;
  const lost = read(out).find((n) => n.ev === "lost");
  assert.match(lost?.message ?? "", /lock on shared-db lost: rigd went away/);

  await using lock = await waiting;
  assert.ok(lock.held);
  const now = dir.rigdPids();
  assert.ok(now.length === 1 && now[0] !== first, `the lock came from a new rigd (rigd pids now ${now.join(", ")}, killed ${first})`);
});

test("rigd killed while this process waits for another's init: its lock comes from the next rigd, its own init run there", async () => {
  await using dir = await isolatedRigDir();
  const env: NodeJS.ProcessEnv = { ...process.env, LOCK_OUT: join(dir.dir, "out.jsonl"), LOCK_MODE: "hang-init", RIG_DIR: dir.dir };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [fixture("lock-holder.js")], { env, stdio: ["ignore", "pipe", "inherit"] });
  const exited = new Promise((r) => child.once("exit", r));
  await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => d.toString().includes("initializing") && resolve()));
  const [first] = dir.rigdPids();
  assert.ok(first, "the child started a rigd");

  let initialized = false;
  const waiting = rig.resource("shared-db", { init: () => (initialized = true) }).lock({ signal: AbortSignal.timeout(60_000) });
  const locks = await connectRigd();
  for (let queued = false; !queued; await sleep(20)) {
    const { resources } = await locks.locks.listLocks({});
    queued = resources.some((r) => r.name === "shared-db" && r.initState === "running");
  }
  await sleep(200); // this process's Declare is waiting behind the hanging init
  process.kill(first, "SIGKILL");
  await using lock = await waiting;
  assert.ok(lock.held && initialized, "locked, after running its own init in the next rigd");
  child.kill();
  await exited;
});
