/**
 * When `up` fails, the error explains itself: every spec problem rigd found, the failed
 * service with its reason and last stderr lines, or the latest stall report when the
 * startup timeout passes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { RigEnvironmentError, RigSpecError, RigStartupTimeoutError, rig } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

test("a spec rigd rejects surfaces as a RigSpecError listing every problem", async () => {
  const up = rig.up({
    api: rig.process("api").egress("db").egress("cache"),
    "Bad Name": rig.process("x"),
    a: httpFunc().egress("b"),
    b: httpFunc().egress("a"),
  });
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigSpecError, String(err));
    const text = err.problems.map((p) => `${p.path}: ${p.message}`).join("\n");
    assert.ok(err.problems.length >= 4, text);
    assert.match(text, /"db"/);
    assert.match(text, /"cache"/);
    assert.match(text, /Bad Name/);
    assert.match(text, /cycle/);
    for (const problem of err.problems) assert.ok(err.message.includes(problem.message), err.message);
    return true;
  });
});

test("a process that crashes at start: the error names it, says why, and quotes its stderr", async () => {
  const script = "console.error('connecting to the queue'); console.error('fatal: QUEUE_URL is not set'); process.exit(3)";
  const up = rig.up({ web: httpFunc(), api: rig.process(process.execPath, "-e", script).egress("web") });
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigEnvironmentError, String(err));
    assert.equal(err.failedService, "api");
    assert.deepEqual(err.stderrTail.slice(-2), ["connecting to the queue", "fatal: QUEUE_URL is not set"]);
    assert.match(err.message, /service "api" failed.*exited with code 3/);
    assert.match(err.message, /\| fatal: QUEUE_URL is not set/);
    // It ends with rigd's diagnosis, as `rig explain` prints it: outcome, failure, phases.
    assert.ok(err.diagnosis, "the error carries rigd's diagnosis");
    assert.ok(err.message.includes(`rig explain:\n    rig  ${err.environmentId}\n`), err.message);
    assert.match(err.diagnosis, /outcome {3}failed/);
    assert.match(err.diagnosis, /failed {4}api while starting: exited with code 3/);
    assert.match(err.diagnosis, /phases/);
    return true;
  });
});

test("the startup timeout quotes rigd's latest progress.stall", async () => {
  // Listens nowhere, so its readiness check never passes within the startup timeout.
  const idle = rig
    .process(process.execPath, "-e", "console.log('warming up'); setInterval(() => {}, 1000)")
    .ingress("default", { protocol: "http", ready: { timeout: "1m" } });
  const up = rig.up({ idle }, { startupTimeout: "3s", stallTimeout: "1s" });
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigStartupTimeoutError, String(err));
    assert.match(err.message, /was not up after 3s; rigd reported:/);
    assert.ok(err.stall, "a stall was reported");
    assert.ok(err.message.includes(err.stall.split("\n")[0] as string));
    assert.match(err.stall, /idle/);
    assert.match(err.message, /rig explain:[\s\S]*stall at \+/);
    return true;
  });
});
