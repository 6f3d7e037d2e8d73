/**
 * The history of suite runs in SQLite (Node's built-in `node:sqlite`, no native addon):
 * runs, every attempt of every test with its output deflated, the environments each run
 * created, and the suites registered through the API (so they outlive rigd). The schema
 * is versioned (`PRAGMA user_version`) and migrated forward at open; retention removes
 * old runs. One writer: the rigd that opened it.
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import {
  RunSchema,
  RunStatus,
  TestAttemptSchema,
  TestCaseSchema,
  TestResult,
  type Run,
  type RunTrigger,
  type TestCase,
} from "../gen/rig/v1/suite_service_pb.js";
import type { SuiteDefinition } from "./suite-definition.js";
import type { RetentionPolicy } from "./suites-file.js";

/** Schema migrations, in order; version N is MIGRATIONS[N-1]. Never edit one that shipped: add the next. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE suites (
     name TEXT PRIMARY KEY,
     definition TEXT NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE runs (
     id TEXT PRIMARY KEY,
     suite TEXT NOT NULL,
     namespace TEXT NOT NULL,
     status INTEGER NOT NULL,
     trigger INTEGER NOT NULL,
     filter TEXT NOT NULL DEFAULT '',
     idempotency_key TEXT,
     started_at INTEGER NOT NULL,
     finished_at INTEGER,
     exit_code INTEGER NOT NULL DEFAULT 0,
     error TEXT NOT NULL DEFAULT '',
     attempts INTEGER NOT NULL DEFAULT 0,
     provoke_of TEXT NOT NULL DEFAULT ''
   );
   CREATE UNIQUE INDEX runs_idempotency ON runs (suite, idempotency_key) WHERE idempotency_key IS NOT NULL;
   CREATE INDEX runs_suite_started ON runs (suite, started_at DESC);
   CREATE TABLE test_attempts (
     run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     attempt INTEGER NOT NULL,
     result INTEGER NOT NULL,
     duration_ms INTEGER NOT NULL,
     output BLOB,
     PRIMARY KEY (run_id, name, attempt)
   );
   CREATE TABLE run_environments (
     run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
     environment_id TEXT NOT NULL,
     test_name TEXT NOT NULL DEFAULT '',
     PRIMARY KEY (run_id, environment_id)
   );`,
];

/** The newest schema version this rigd knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A new run. */
export interface NewRun {
  readonly id: string;
  readonly suite: SuiteDefinition;
  readonly trigger: RunTrigger;
  readonly filter: string;
  readonly idempotencyKey: string;
  readonly provokeOf: string;
  readonly startedAt: number;
}

/** How a run ended. */
export interface RunEnd {
  readonly status: RunStatus;
  readonly exitCode: number;
  readonly error: string;
  readonly attempts: number;
  readonly finishedAt: number;
}

/** One recorded attempt of a test. */
export interface AttemptRecord {
  readonly name: string;
  readonly attempt: number;
  readonly result: TestResult;
  readonly durationMs: number;
  readonly output: string;
}

interface RunRow {
  id: string;
  suite: string;
  namespace: string;
  status: number;
  trigger: number;
  filter: string;
  idempotency_key: string | null;
  started_at: number;
  finished_at: number | null;
  exit_code: number;
  error: string;
  attempts: number;
  provoke_of: string;
}

interface AttemptRow {
  run_id: string;
  name: string;
  attempt: number;
  result: number;
  duration_ms: number;
  output: Uint8Array | null;
}

/** The run history of one rigd. */
export class RunHistory {
  readonly #db: DatabaseSync;

  /** Opens (creating) the database and migrates it to SCHEMA_VERSION. */
  constructor(readonly file: string) {
    this.#db = new DatabaseSync(file);
    this.#db.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
    this.#migrate();
  }

  #migrate(): void {
    const { user_version: current } = this.#db.prepare("PRAGMA user_version").get() as { user_version: number };
    if (current > SCHEMA_VERSION) {
      throw new Error(`${this.file} has schema version ${current}, newer than this rigd knows (${SCHEMA_VERSION}); run a newer rigd or move the file away`);
    }
    for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
      this.#transaction(() => {
        this.#db.exec(MIGRATIONS[version - 1]!);
        this.#db.exec(`PRAGMA user_version = ${version}`);
      });
    }
  }

  #transaction<T>(body: () => T): T {
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      this.#db.exec("COMMIT");
      return result;
    } catch (err) {
      this.#db.exec("ROLLBACK");
      throw err;
    }
  }

  /** The schema version of the open file. */
  get schemaVersion(): number {
    return (this.#db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version;
  }

  /** Keeps a suite registered through the API. */
  saveSuite(def: SuiteDefinition): void {
    this.#db
      .prepare("INSERT INTO suites (name, definition, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at")
      .run(def.name, JSON.stringify(def), Date.now());
  }

  /** Suites registered through the API by earlier rigds. */
  savedSuites(): SuiteDefinition[] {
    const rows = this.#db.prepare("SELECT definition FROM suites ORDER BY name").all() as { definition: string }[];
    return rows.map((r) => JSON.parse(r.definition) as SuiteDefinition);
  }

  /** Records a run that starts now (status running). */
  insertRun(run: NewRun): void {
    this.#db
      .prepare(
        "INSERT INTO runs (id, suite, namespace, status, trigger, filter, idempotency_key, started_at, provoke_of) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(run.id, run.suite.name, run.suite.namespace, RunStatus.RUNNING, run.trigger, run.filter, run.idempotencyKey || null, run.startedAt, run.provokeOf);
  }

  /** Records the end of a run. */
  finishRun(id: string, end: RunEnd): void {
    this.#db
      .prepare("UPDATE runs SET status = ?, exit_code = ?, error = ?, attempts = ?, finished_at = ? WHERE id = ?")
      .run(end.status, end.exitCode, end.error, end.attempts, end.finishedAt, id);
  }

  /** Records one attempt of one test (output deflated). */
  addAttempt(runId: string, a: AttemptRecord): void {
    this.#db
      .prepare(
        "INSERT INTO test_attempts (run_id, name, attempt, result, duration_ms, output) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET result = excluded.result, duration_ms = excluded.duration_ms, output = excluded.output",
      )
      .run(runId, a.name, a.attempt, a.result, a.durationMs, a.output ? deflateRawSync(a.output) : null);
  }

  /** Links an environment (and the test that created it, when known) to a run. */
  linkEnvironment(runId: string, environmentId: string, testName: string): void {
    this.#db
      .prepare("INSERT INTO run_environments (run_id, environment_id, test_name) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
      .run(runId, environmentId, testName);
  }

  /** Whether a run with this id exists. */
  hasRun(id: string): boolean {
    return this.#db.prepare("SELECT 1 FROM runs WHERE id = ?").get(id) !== undefined;
  }

  /** The run an idempotency key of a suite started. */
  runByIdempotencyKey(suite: string, key: string): Run | undefined {
    const row = this.#db.prepare("SELECT id FROM runs WHERE suite = ? AND idempotency_key = ?").get(suite, key) as { id: string } | undefined;
    return row ? this.getRun(row.id, false) : undefined;
  }

  /** A run with its tests; output only when asked. */
  getRun(id: string, includeOutput: boolean): Run | undefined {
    const row = this.#db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
    if (!row) return undefined;
    const attempts = this.#db
      .prepare(`SELECT run_id, name, attempt, result, duration_ms, ${includeOutput ? "output" : "NULL AS output"} FROM test_attempts WHERE run_id = ? ORDER BY rowid`)
      .all(id) as unknown as AttemptRow[];
    const envs = this.#db.prepare("SELECT environment_id, test_name FROM run_environments WHERE run_id = ? ORDER BY rowid").all(id) as {
      environment_id: string;
      test_name: string;
    }[];
    return runMessage(row, testCases(attempts, envs), envs.map((e) => e.environment_id));
  }

  /** Runs newest first (tests counted, not listed). */
  listRuns(suite: string, limit: number): Run[] {
    const rows = (
      suite
        ? this.#db.prepare("SELECT * FROM runs WHERE suite = ? ORDER BY started_at DESC, rowid DESC LIMIT ?").all(suite, limit)
        : this.#db.prepare("SELECT * FROM runs ORDER BY started_at DESC, rowid DESC LIMIT ?").all(limit)
    ) as unknown as RunRow[];
    return rows.map((row) => {
      const attempts = this.#db
        .prepare("SELECT run_id, name, attempt, result, duration_ms, NULL AS output FROM test_attempts WHERE run_id = ? ORDER BY rowid")
        .all(row.id) as unknown as AttemptRow[];
      const run = runMessage(row, testCases(attempts, []), []);
      run.tests = [];
      return run;
    });
  }

  /** The finished runs of a suite, newest first, with their tests (no output): the input of the flaky report. */
  recentRuns(suite: string, limit: number): Run[] {
    const ids = this.#db
      .prepare("SELECT id FROM runs WHERE suite = ? AND finished_at IS NOT NULL ORDER BY started_at DESC, rowid DESC LIMIT ?")
      .all(suite, limit) as { id: string }[];
    return ids.map((r) => this.getRun(r.id, false)!);
  }

  /** Suite names that have runs. */
  suitesWithRuns(): string[] {
    return (this.#db.prepare("SELECT DISTINCT suite FROM runs ORDER BY suite").all() as { suite: string }[]).map((r) => r.suite);
  }

  /** Marks runs left running by a rigd that stopped as interrupted; returns their ids. */
  markInterrupted(now: number): string[] {
    const ids = (this.#db.prepare("SELECT id FROM runs WHERE status = ?").all(RunStatus.RUNNING) as { id: string }[]).map((r) => r.id);
    this.#db
      .prepare("UPDATE runs SET status = ?, finished_at = ?, error = 'rigd stopped while it ran' WHERE status = ?")
      .run(RunStatus.INTERRUPTED, now, RunStatus.RUNNING);
    return ids;
  }

  /** Removes finished runs older than keepDays and beyond keepRunsPerSuite; returns how many. */
  prune(policy: RetentionPolicy, now: number): number {
    return this.#transaction(() => {
      let removed = 0;
      if (policy.keepDays > 0) {
        removed += Number(
          this.#db.prepare("DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < ?").run(now - policy.keepDays * 86_400_000).changes,
        );
      }
      if (policy.keepRunsPerSuite > 0) {
        removed += Number(
          this.#db
            .prepare(
              `DELETE FROM runs WHERE finished_at IS NOT NULL AND id IN (
                 SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY suite ORDER BY started_at DESC, rowid DESC) AS n FROM runs)
                 WHERE n > ?)`,
            )
            .run(policy.keepRunsPerSuite).changes,
        );
      }
      return removed;
    });
  }

  /** Runs any statement (tests inspect the file with it). */
  query(sql: string, ...params: SQLInputValue[]): unknown[] {
    return this.#db.prepare(sql).all(...params);
  }

  close(): void {
    this.#db.close();
  }
}

/** Groups attempts into test cases: final result = last attempt; flaky = failed, then passed. */
function testCases(attempts: readonly AttemptRow[], envs: readonly { environment_id: string; test_name: string }[]): TestCase[] {
  const byName = new Map<string, AttemptRow[]>();
  for (const a of attempts) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  return [...byName].map(([name, rows]) => {
    rows.sort((x, y) => x.attempt - y.attempt);
    const result = rows.at(-1)!.result as TestResult;
    return create(TestCaseSchema, {
      name,
      result,
      flaky: result === TestResult.PASSED && rows.some((r) => r.result === TestResult.FAILED),
      attempts: rows.map((r) =>
        create(TestAttemptSchema, {
          attempt: r.attempt,
          result: r.result as TestResult,
          duration: durationFromMs(r.duration_ms),
          output: r.output ? inflateRawSync(r.output).toString("utf8") : "",
        }),
      ),
      environmentIds: envs.filter((e) => sameTest(name, e.test_name)).map((e) => e.environment_id),
    });
  });
}

/**
 * Whether a report's test name and the name an SDK labelled an environment with are the
 * same test: node reports "describe > test" where t.name is "test"; pytest's node id
 * "tests/test_x.py::test_a" is "test_a" in JUnit; Go's names are the same on both sides.
 */
function sameTest(reported: string, label: string): boolean {
  if (!label) return false;
  return reported === label || reported.endsWith(` > ${label}`) || label.endsWith(`::${reported}`);
}

function runMessage(row: RunRow, tests: TestCase[], environmentIds: string[]): Run {
  const count = (result: TestResult): number => tests.filter((t) => t.result === result).length;
  return create(RunSchema, {
    id: row.id,
    suite: row.suite,
    namespace: row.namespace,
    status: row.status as RunStatus,
    trigger: row.trigger as RunTrigger,
    filter: row.filter,
    idempotencyKey: row.idempotency_key ?? "",
    startedAt: timestampFromMs(row.started_at),
    ...(row.finished_at !== null ? { finishedAt: timestampFromMs(row.finished_at) } : {}),
    exitCode: row.exit_code,
    error: row.error,
    attempts: row.attempts,
    passed: count(TestResult.PASSED),
    failed: count(TestResult.FAILED),
    skipped: count(TestResult.SKIPPED),
    flaky: tests.filter((t) => t.flaky).length,
    tests,
    environmentIds,
    provokeOf: row.provoke_of,
  });
}
