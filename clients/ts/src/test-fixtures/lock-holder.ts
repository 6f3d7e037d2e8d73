/**
 * A test process using rig.resource: declares "shared-db" (max parallelism 2, an init that
 * appends an "init" line), then takes LOCK_ROUNDS locks of LOCK_MODE, appending enter/leave
 * lines with timestamps to LOCK_OUT. LOCK_MODE=keep: lock, print "acquired", then report
 * how the lock was lost. LOCK_MODE=hang-init: declare "shared-db" with an init that prints
 * "initializing" and never ends (others wait for it until this process or rigd goes).
 */
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { rig } from "../index.js";

const out = process.env.LOCK_OUT!;
const mode = process.env.LOCK_MODE ?? "exclusive";
const note = (ev: string, extra: object = {}): void =>
  appendFileSync(out, `${JSON.stringify({ pid: process.pid, t: performance.timeOrigin + performance.now(), ev, mode, ...extra })}\n`);

const db = rig.resource("shared-db", { maxParallelism: 2, init: () => note("init") });
if (mode === "hang-init") {
  const alive = setInterval(() => {}, 1 << 30);
  const hanging = rig.resource("shared-db", {
    init: () => {
      process.stdout.write("initializing\n");
      return new Promise(() => {});
    },
  });
  await hanging.declare().catch(() => {});
  clearInterval(alive);
} else if (mode === "keep") {
  const lock = await db.lock();
  const alive = setInterval(() => {}, 1 << 30); // a held lock alone does not keep a process alive
  process.stdout.write("acquired\n");
  const err = await lock.lost;
  note("lost", { message: err.message, held: lock.held });
  clearInterval(alive);
} else {
  for (let i = 0; i < Number(process.env.LOCK_ROUNDS ?? "5"); i++) {
    await using _lock = mode === "shared" ? await db.rlock() : await db.lock();
    note("enter");
    await sleep(5);
    note("leave");
  }
}
