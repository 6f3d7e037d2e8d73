/**
 * rig.resource from real test processes sharing one auto-started rigd: mutual exclusion,
 * max parallelism, init once, and a lock lost (never silently) when rigd goes away.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { rig } from "../index.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";
import { fixture, runNode } from "../test-fixtures/run-node.js";

interface Note {
  pid: number;
  t: number;
  ev: string;
  mode: string;
  message?: string;
}
const read = (file: string): Note[] =>
  existsSync(file) ? readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Note) : [];

test("6 processes: exclusive alone, shared at most 2, init once", async () => {
  await using dir = await isolatedRigDir();
  const out = join(dir.dir, "out.jsonl");
  const runs = await Promise.all(
    ["exclusive", "exclusive", "exclusive", "shared", "shared", "shared"].map((mode) =>
      runNode(fixture("lock-holder.js"), { LOCK_OUT: out, LOCK_MODE: mode, LOCK_ROUNDS: "6", RIG_DIR: dir.dir }, 60_000),
    ),
  );
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const notes = read(out);
  assert.equal(notes.filter((n) => n.ev === "init").length, 1, "init ran once");
  const open = new Map<number, string>();
  let maxOpen = 0;
  for (const n of notes.filter((x) => x.ev !== "init").sort((a, b) => a.t - b.t || (a.ev === "leave" ? -1 : 1))) {
    if (n.ev === "enter") {
      open.set(n.pid, n.mode);
      maxOpen = Math.max(maxOpen, open.size);
      assert.ok(open.size === 1 || ![...open.values()].includes("exclusive"), "an exclusive holder overlapped another");
    } else open.delete(n.pid);
  }
  assert.ok(maxOpen <= 2, `max parallelism exceeded: ${maxOpen}`);
});

