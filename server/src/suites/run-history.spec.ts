import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { RunStatus, RunTrigger, TestResult } from "../gen/rig/v1/suite_service_pb.js";
import { RunHistory, SCHEMA_VERSION } from "./run-history.js";
import type { SuiteDefinition } from "./suite-definition.js";

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), "rig-history-"))));
after(() => rmSync(dir, { recursive: true, force: true }));

const suite = { name: "s", namespace: "team" } as SuiteDefinition;
const DAY = 86_400_000;

function addRun(history: RunHistory, id: string, startedAt: number, results: [string, TestResult][]): void {
  history.insertRun({ id, suite, trigger: RunTrigger.MANUAL, filter: "", idempotencyKey: "", provokeOf: "", startedAt });
  results.forEach(([name, result], i) => history.addAttempt(id, { name, attempt: 1 + i, result, durationMs: 5, output: `${name} says ${"hello ".repeat(500)}` }));
  history.finishRun(id, { status: RunStatus.PASSED, exitCode: 0, error: "", attempts: results.length, finishedAt: startedAt + 10 });
}

describe("RunHistory", () => {
  it("migrates a new file to the current schema, and refuses a file from a newer rigd", () => {
    const file = join(dir, "a.sqlite");
    const history = new RunHistory(file);
    assert.equal(history.schemaVersion, SCHEMA_VERSION);
    history.close();
    const reopened = new RunHistory(file);
    assert.equal(reopened.schemaVersion, SCHEMA_VERSION, "opening again changes nothing");
    reopened.close();
    const db = new DatabaseSync(file);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => new RunHistory(file), /has schema version 2, newer than this rigd knows \(1\); run a newer rigd/);
  });

  it("keeps output deflated, finds a flaky test, and marks runs a stopped rigd left as interrupted", () => {
    const history = new RunHistory(join(dir, "b.sqlite"));
    addRun(history, "r1", Date.now(), [
      ["t", TestResult.FAILED],
      ["t", TestResult.PASSED],
    ]);
    const run = history.getRun("r1", true)!;
    assert.equal(run.tests[0]?.flaky, true);
    assert.equal(run.flaky, 1);
    assert.match(run.tests[0]?.attempts[1]?.output ?? "", /^t says hello hello/);
    const [stored] = history.query("SELECT length(output) AS bytes FROM test_attempts WHERE run_id = 'r1' AND attempt = 1") as { bytes: number }[];
    assert.ok(stored!.bytes < 200, `3000 characters of output kept in ${stored!.bytes} bytes`);
    assert.equal(history.getRun("r1", false)?.tests[0]?.attempts[0]?.output, "", "output only when asked");

    history.insertRun({ id: "r2", suite, trigger: RunTrigger.SCHEDULE, filter: "", idempotencyKey: "k", provokeOf: "", startedAt: Date.now() });
    assert.equal(history.runByIdempotencyKey("s", "k")?.id, "r2");
    assert.deepEqual(history.markInterrupted(Date.now()), ["r2"]);
    assert.equal(history.getRun("r2", false)?.status, RunStatus.INTERRUPTED);
    history.close();
  });

  it("removes runs past the retention policy, their tests with them", () => {
    const history = new RunHistory(join(dir, "c.sqlite"));
    const now = Date.now();
    addRun(history, "old", now - 40 * DAY, [["t", TestResult.PASSED]]);
    for (let i = 0; i < 5; i++) addRun(history, `new${i}`, now - (5 - i) * 1000, [["t", TestResult.PASSED]]);
    assert.equal(history.prune({ keepDays: 30, keepRunsPerSuite: 3 }, now), 3);
    assert.deepEqual(history.listRuns("s", 10).map((r) => r.id), ["new4", "new3", "new2"]);
    const kept = (history.query("SELECT DISTINCT run_id FROM test_attempts ORDER BY run_id") as { run_id: string }[]).map((r) => r.run_id);
    assert.deepEqual(kept, ["new2", "new3", "new4"]);
    history.close();
  });
});
