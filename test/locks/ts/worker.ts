/**
 * The TypeScript side of the three-language lock proof (test/locks/README.md): waits for
 * the start signal, then takes the locks LOCKS_MODES names on LOCKS_RESOURCE and appends
 * enter/leave records to LOCKS_DIR/records. Node 24 strips the types; uses clients/ts/dist.
 */
import { appendFileSync, existsSync } from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { rig } from "../../../clients/ts/dist/index.js";

const dir = process.env.LOCKS_DIR!;
const id = process.env.LOCKS_ID!;
/** Wall-clock nanoseconds (as a string), comparable with Go's and Python's. */
const nowNs = (): string => (BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n).toString();

const res = rig.resource(process.env.LOCKS_RESOURCE!, {
  maxParallelism: 2,
  init: async () => {
    appendFileSync(path.join(dir, "init"), `${id}\n`);
    await sleep(300); // everyone else arrives while it runs
  },
});
appendFileSync(path.join(dir, "ready"), `${id}\n`);
while (!existsSync(path.join(dir, "go"))) await sleep(5);
const records = path.join(dir, "records");
for (const mode of process.env.LOCKS_MODES!.split(",")) {
  const lock = mode === "x" ? await res.lock() : await res.rlock();
  appendFileSync(records, `enter ${id} ${mode} ${nowNs()}\n`);
  await sleep(20);
  appendFileSync(records, `leave ${id} ${mode} ${nowNs()}\n`);
  await lock.release();
}
