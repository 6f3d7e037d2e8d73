/**
 * Failed assertions on the environment's timeline: `env.check(fn)` under node:test (a
 * real failing test in a child process) notes the assertion's message and file:line as
 * an error test.note, shown in rig.log; the location is the test's line, not node's or
 * the SDK's.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fixture, runNode } from "../test-fixtures/run-node.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";
import { failureNote } from "./failure-note.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

test("failureNote: message and the test's file:line, from a real AssertionError", () => {
  let error: unknown;
  try {
    assert.equal(1 + 1, 3); // THIS-LINE
  } catch (err) {
    error = err;
  }
  const file = new URL(import.meta.url).pathname;
  const line = readFileSync(file, "utf8").split("\n").findIndex((l) => l.includes("THIS-LINE")) + 1;
  const note = failureNote(error);
  assert.match(note.location ?? "", new RegExp(`failure-note\\.spec\\.js:${line}$`));
  assert.match(note.message, new RegExp(`failure-note\\.spec\\.js:${line}: Expected values to be strictly equal`));
  assert.deepEqual(failureNote("plain"), { location: undefined, message: "plain" });
});

test("env.check under node:test: the failed assertion is a test.note in the log, with file:line", async () => {
  const out = `${rigDir.dir}/check-note.id`;
  const run = await runNode(fixture("check-note.js"), { RIG_FIXTURE_OUT: out }, 60_000);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const id = readFileSync(out, "utf8");
  const events = readFileSync(`${rigDir.dir}/logs/${id}/events.jsonl`, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, any>);
  const notes = events.filter((e) => e.type === "test.note");
  assert.equal(notes.length, 1, "only the failing check is noted");
  const script = fixture("check-note.js");
  const line = readFileSync(script, "utf8").split("\n").findIndex((l) => l.includes("FAILING-LINE")) + 1;
  assert.equal(notes[0]?.testNote?.level, "error");
  assert.match(notes[0]?.testNote?.message, new RegExp(`check-note\\.js:${line}: Expected values to be strictly equal`));
  const types = events.map((e) => e.type);
  assert.ok(types.indexOf("test.note") < types.indexOf("environment.destroying"));
  assert.match(readFileSync(`${rigDir.dir}/logs/${id}/rig.log`, "utf8"), new RegExp(`check-note\\.js:${line}`));
});
