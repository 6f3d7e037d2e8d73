/**
 * An `env.events()` iteration the test abandons never keeps the test process alive:
 * `down()` ends every iteration of its environment, and an open one (suspended between
 * events) holds nothing that keeps node running. Real child processes that must exit
 * within a bound.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { rig } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import { fixture, runNode } from "../test-fixtures/run-node.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
  await (await rig.up({ warm: httpFunc() })).down(); // rigd started once, outside the bounds
});
after(() => rigDir.dispose());

/** Generous for a one-func environment, far below a hang. */
const BOUND_MS = 20_000;

function eventTypes(environmentId: string): string[] {
  return readFileSync(`${rigDir.dir}/logs/${environmentId}/events.jsonl`, "utf8")
    .trim()
    .split("\n")
    .map((line) => (JSON.parse(line) as { type: string }).type);
}

test("a node:test test that reads one event and fails exits; its environment is down", async () => {
  const out = `${rigDir.dir}/abandoned-fail.id`;
  const run = await runNode(fixture("events-abandoned.js"), { RIG_FIXTURE_OUT: out, RIG_FIXTURE_MODE: "fail" }, BOUND_MS);
  assert.equal(run.timedOut, false, `the test process hung:\n${run.stdout}${run.stderr}`);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  assert.match(run.stdout, /deliberate failure after reading one event/);
  assert.ok(eventTypes(readFileSync(out, "utf8")).includes("environment.down"));
});

test("a script that leaves an iteration open and never calls down() exits", async () => {
  const out = `${rigDir.dir}/abandoned-script.id`;
  const run = await runNode(fixture("events-abandoned.js"), { RIG_FIXTURE_OUT: out, RIG_FIXTURE_MODE: "script" }, BOUND_MS);
  assert.equal(run.timedOut, false, `the script hung:\n${run.stdout}${run.stderr}`);
  assert.equal(run.code, 0, run.stdout + run.stderr);
});

test("down() ends an iteration that is waiting for the next event, and one left between events", async () => {
  const env = await rig.up({ ping: httpFunc("pong") });
  const waiting = (async () => {
    const seen: string[] = [];
    for await (const event of env.events()) seen.push(event.type);
    return seen;
  })();
  const left = env.events()[Symbol.asyncIterator]();
  assert.equal((await left.next()).value?.type, "environment.created");
  await env.down();
  const seen = await waiting;
  assert.equal(seen.at(-1), "environment.down", "the reading iteration saw the end");
  assert.deepEqual(await left.next(), { done: true, value: undefined }, "the left one is ended");
});
