/**
 * The run history on both of its databases, with the same tests: SQLite through
 * `node:sqlite`, and a real Postgres (a host Postgres server a real rigd starts as a
 * `postgres` service, runtime host: no Docker needed), which two more rigds then share.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { after, before, describe, it } from "node:test";
import { Runtime } from "../gen/rig/v1/spec_pb.js";
import { RunStatus, RunTrigger, SuiteService, TestResult } from "../gen/rig/v1/suite_service_pb.js";
import { bearer, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { SCHEMA_VERSION } from "./history-schema.js";
import { RunHistory, type HistoryLocation } from "./run-history.js";
import type { SuiteDefinition } from "./suite-definition.js";

const DAY = 86_400_000;
const suiteNamed = (name: string) => ({ name, namespace: "team" }) as SuiteDefinition;

async function addRun(history: RunHistory, suite: string, id: string, startedAt: number, results: [string, TestResult][]): Promise<void> {
  await history.insertRun({ id, suite: suiteNamed(suite), trigger: RunTrigger.MANUAL, filter: "", idempotencyKey: "", provokeOf: "", startedAt });
  let attempt = 0;
  for (const [name, result] of results) {
    await history.addAttempt(id, { name, attempt: ++attempt, result, durationMs: 5, output: `${name} says ${"hello ".repeat(500)}` });
  }
  await history.finishRun(id, { status: RunStatus.PASSED, exitCode: 0, error: "", attempts: results.length, finishedAt: startedAt + 10 });
}

/** The same behaviour on every database. */
function historyBehaviour(location: () => HistoryLocation): void {
  it("migrates a new database to the current schema, and refuses one from a newer rigd", async () => {
    const history = await RunHistory.open(location());
    assert.equal(await history.schemaVersion(), SCHEMA_VERSION);
    await history.close();
    const reopened = await RunHistory.open(location());
    assert.equal(await reopened.schemaVersion(), SCHEMA_VERSION, "opening again changes nothing");
    await reopened.query("INSERT INTO rig_schema (version) VALUES (?)", SCHEMA_VERSION + 1);
    await assert.rejects(RunHistory.open(location()), /has schema version 2, newer than this rigd knows \(1\); run a newer rigd/);
    await reopened.query("DELETE FROM rig_schema WHERE version = ?", SCHEMA_VERSION + 1);
    await reopened.close();
  });

  it("keeps output deflated, finds a flaky test, takes an idempotency key once, and marks only this host's dead runs interrupted", async () => {
    const history = await RunHistory.open(location());
    await addRun(history, "s", "r1", Date.now(), [
      ["t", TestResult.FAILED],
      ["t", TestResult.PASSED],
    ]);
    const run = (await history.getRun("r1", true))!;
    assert.equal(run.tests[0]?.flaky, true);
    assert.equal(run.flaky, 1);
    assert.match(run.tests[0]?.attempts[1]?.output ?? "", /^t says hello hello/);
    const [stored] = await history.query<{ bytes: number }>("SELECT length(output) AS bytes FROM test_attempts WHERE run_id = 'r1' AND attempt = 1");
    assert.ok(Number(stored!.bytes) < 200, `3000 characters of output kept in ${stored!.bytes} bytes`);
    assert.equal((await history.getRun("r1", false))?.tests[0]?.attempts[0]?.output, "", "output only when asked");

    const keyed = { suite: suiteNamed("s"), trigger: RunTrigger.SCHEDULE, filter: "", idempotencyKey: "k", provokeOf: "", startedAt: Date.now() };
    assert.equal(await history.insertRun({ ...keyed, id: "r2" }), true);
    assert.equal(await history.insertRun({ ...keyed, id: "r3" }), false, "the key is taken");
    assert.equal((await history.runByIdempotencyKey("s", "k"))?.id, "r2");
    await history.query("INSERT INTO runs (id, suite, namespace, status, trigger, started_at, owner) VALUES ('far', 's', 'team', ?, 1, 0, 'another-host:1')", RunStatus.RUNNING);
    assert.deepEqual(await history.markInterrupted(Date.now(), () => false), ["r2"]);
    assert.equal((await history.getRun("r2", false))?.status, RunStatus.INTERRUPTED);
    assert.equal((await history.getRun("far", false))?.status, RunStatus.RUNNING, "another host's run is its own business");
    await history.close();
  });

  it("removes runs past the retention policy, their tests with them", async () => {
    const history = await RunHistory.open(location());
    const now = Date.now();
    await addRun(history, "p", "old", now - 40 * DAY, [["t", TestResult.PASSED]]);
    for (let i = 0; i < 5; i++) await addRun(history, "p", `new${i}`, now - (5 - i) * 1000, [["t", TestResult.PASSED]]);
    await history.prune({ keepDays: 30, keepRunsPerSuite: 3 }, now);
    assert.deepEqual((await history.listRuns("p", 10)).map((r) => r.id), ["new4", "new3", "new2"]);
    const kept = (await history.query<{ run_id: string }>("SELECT DISTINCT run_id FROM test_attempts WHERE run_id LIKE 'new%' OR run_id = 'old' ORDER BY run_id")).map((r) => r.run_id);
    assert.deepEqual(kept, ["new2", "new3", "new4"]);
    await history.close();
  });
}

describe("run history on SQLite", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), "rig-history-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));
  historyBehaviour(() => ({ sqlite: join(dir, "history.sqlite") }));
});

describe("run history on Postgres", () => {
  let rigd: Rigd;
  let url = "";
  before(async () => {
    rigd = await startRigd(["--idle", "0"]);
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({ name: "history", services: [{ name: "db", config: { case: "postgres", value: { runtime: Runtime.HOST } } }] }),
    });
    let last = "";
    for await (const res of rigd.client.watchEvents({ environmentId }, { signal: AbortSignal.timeout(90_000) })) {
      last = res.event?.type ?? last;
      if (last === "environment.up" || last === "environment.down") break;
    }
    assert.equal(last, "environment.up");
    const { environment } = await rigd.client.getEnvironment({ environmentId });
    url = environment?.services.find((s) => s.name === "db")?.ingresses["default"]?.attributes["DATABASE_URL"] ?? "";
    assert.match(url, /^postgres:\/\//);
  });
  after(async () => {
    await rigd?.stop();
  });
  historyBehaviour(() => ({ postgres: url }));

  it("is shared by two rigds: a run on one is listed, and its idempotency key honoured, by the other", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rig-shared-history-"));
    const file = join(dir, "rig.suites.json");
    const testdata = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "suites", "testdata");
    // The URL (with its password) comes from rigd's environment, not the file.
    writeFileSync(
      file,
      JSON.stringify({
        suites: [{ name: "quick", dir: join(testdata, "node"), command: "node --test --test-reporter=tap basic.test.mjs", filter: "^adds$" }],
        history: { postgres: "${RIG_TEST_HISTORY_URL}" },
      }),
    );
    const env = { RIG_TEST_HISTORY_URL: url };
    const [a, b] = await Promise.all([startRigd(["--suites", file, "--idle", "0"], { env }), startRigd(["--suites", file, "--idle", "0"], { env })]);
    try {
      const suitesOf = (r: Rigd) => createClient(SuiteService, createGrpcTransport({ baseUrl: `http://${r.address}`, interceptors: [bearer(r.token)] }));
      const { run } = await suitesOf(a).startRun({ suite: "quick", idempotencyKey: "deploy-7" });
      for await (const msg of suitesOf(a).watchRun({ runId: run!.id })) if (msg.event.case === "finished") assert.equal(msg.event.value.status, RunStatus.PASSED);
      const again = await suitesOf(b).startRun({ suite: "quick", idempotencyKey: "deploy-7" });
      assert.deepEqual([again.existing, again.run?.id], [true, run!.id]);
      const listed = await suitesOf(b).listRuns({ suite: "quick" });
      assert.deepEqual(listed.runs.map((r) => [r.id, r.passed]), [[run!.id, 1]]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says which server it cannot reach, without its password", async () => {
    await assert.rejects(RunHistory.open({ postgres: "postgres://rig:secret@127.0.0.1:1/rig" }), (err: Error) => {
      assert.match(err.message, /cannot reach the Postgres history at postgres:\/\/rig:\*\*\*@127\.0\.0\.1:1\/rig/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });
});
