/**
 * The history of suite runs: runs, every attempt of every test with its output deflated,
 * the environments each run created, and the suites registered through the API (so they
 * outlive rigd). One implementation over a SqlDriver: SQLite in RIG_DIR by default
 * (`node:sqlite`), Postgres when a team shares one history. Migrated forward at open
 * (history-schema.ts); retention removes old runs.
 */
import { hostname } from "node:os";
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
import { migrate, schemaVersion } from "./history-schema.js";
import { openPostgres, redacted } from "./postgres-driver.js";
import type { SqlDriver, SqlValue } from "./sql-driver.js";
import { openSqlite } from "./sqlite-driver.js";
import type { SuiteDefinition } from "./suite-definition.js";
import type { RetentionPolicy } from "./suites-file.js";

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
  owner: string;
}

interface AttemptRow {
  name: string;
  attempt: number;
  result: number;
  duration_ms: number;
  output: Uint8Array | null;
}

/** Where the history lives: a SQLite file, or a Postgres URL. */
export type HistoryLocation = { readonly sqlite: string } | { readonly postgres: string };

/** Who runs a run: this host and rigd process. */
const OWNER = `${hostname()}:${process.pid}`;

/** The run history of one rigd (shared with other rigds on Postgres). */
export class RunHistory {
  private constructor(
    private readonly db: SqlDriver,
    /** Names the database in messages (a file, or a URL without its password). */
    readonly where: string,
  ) {}

  /** Opens (creating) the history and migrates it to the current schema. */
  static async open(location: HistoryLocation): Promise<RunHistory> {
    const [db, where] = "sqlite" in location ? [openSqlite(location.sqlite), location.sqlite] : [await openPostgres(location.postgres), redacted(location.postgres)];
    try {
      await migrate(db, where);
    } catch (err) {
      await db.close();
      throw err;
    }
    return new RunHistory(db, where);
  }

  /** The schema version of the open database. */
  schemaVersion(): Promise<number> {
    return schemaVersion(this.db);
  }

  /** Keeps a suite registered through the API. */
  async saveSuite(def: SuiteDefinition): Promise<void> {
    await this.db.run(
      "INSERT INTO suites (name, definition, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET definition = excluded.definition, updated_at = excluded.updated_at",
      [def.name, JSON.stringify(def), Date.now()],
    );
  }

  /** Suites registered through the API by earlier rigds. */
  async savedSuites(): Promise<SuiteDefinition[]> {
    const rows = await this.db.all<{ definition: string }>("SELECT definition FROM suites ORDER BY name");
    return rows.map((r) => JSON.parse(r.definition) as SuiteDefinition);
  }

  /**
   * Records a run that starts now (status running). Resolves false when the suite's
   * idempotency key is taken (a concurrent request with the same key won).
   */
  async insertRun(run: NewRun): Promise<boolean> {
    try {
      await this.db.run(
        "INSERT INTO runs (id, suite, namespace, status, trigger, filter, idempotency_key, started_at, provoke_of, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [run.id, run.suite.name, run.suite.namespace, RunStatus.RUNNING, run.trigger, run.filter, run.idempotencyKey || null, run.startedAt, run.provokeOf, OWNER],
      );
      return true;
    } catch (err) {
      if (run.idempotencyKey && /unique|duplicate/i.test((err as Error).message)) return false;
      throw err;
    }
  }

  /** Records the end of a run. */
  async finishRun(id: string, end: RunEnd): Promise<void> {
    await this.db.run("UPDATE runs SET status = ?, exit_code = ?, error = ?, attempts = ?, finished_at = ? WHERE id = ?", [
      end.status,
      end.exitCode,
      end.error,
      end.attempts,
      end.finishedAt,
      id,
    ]);
  }

  /** Records one attempt of one test (output deflated). */
  async addAttempt(runId: string, a: AttemptRecord): Promise<void> {
    await this.db.run(
      "INSERT INTO test_attempts (run_id, name, attempt, result, duration_ms, output) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name, attempt) DO UPDATE SET result = excluded.result, duration_ms = excluded.duration_ms, output = excluded.output",
      [runId, a.name, a.attempt, a.result, a.durationMs, a.output ? deflateRawSync(a.output) : null],
    );
  }

  /** Links an environment (and the test that created it, when known) to a run. */
  async linkEnvironment(runId: string, environmentId: string, testName: string): Promise<void> {
    await this.db.run("INSERT INTO run_environments (run_id, environment_id, test_name) VALUES (?, ?, ?) ON CONFLICT (run_id, environment_id) DO NOTHING", [
      runId,
      environmentId,
      testName,
    ]);
  }

  /** Whether a run with this id exists. */
  async hasRun(id: string): Promise<boolean> {
    return (await this.db.all("SELECT 1 AS one FROM runs WHERE id = ?", [id])).length > 0;
  }

  /** The run an idempotency key of a suite started. */
  async runByIdempotencyKey(suite: string, key: string): Promise<Run | undefined> {
    const [row] = await this.db.all<{ id: string }>("SELECT id FROM runs WHERE suite = ? AND idempotency_key = ?", [suite, key]);
    return row ? this.getRun(row.id, false) : undefined;
  }

  /** A run with its tests; output only when asked. */
  async getRun(id: string, includeOutput: boolean): Promise<Run | undefined> {
    const [row] = await this.db.all<RunRow>("SELECT * FROM runs WHERE id = ?", [id]);
    if (!row) return undefined;
    const attempts = await this.db.all<AttemptRow>(
      `SELECT name, attempt, result, duration_ms, ${includeOutput ? "output" : "NULL AS output"} FROM test_attempts WHERE run_id = ? ORDER BY seq`,
      [id],
    );
    const envs = await this.db.all<{ environment_id: string; test_name: string }>(
      "SELECT environment_id, test_name FROM run_environments WHERE run_id = ? ORDER BY seq",
      [id],
    );
    return runMessage(row, testCases(attempts, envs), envs.map((e) => e.environment_id));
  }

  /** Runs newest first (tests counted, not listed). */
  async listRuns(suite: string, limit: number): Promise<Run[]> {
    const rows = suite
      ? await this.db.all<RunRow>("SELECT * FROM runs WHERE suite = ? ORDER BY started_at DESC, seq DESC LIMIT ?", [suite, limit])
      : await this.db.all<RunRow>("SELECT * FROM runs ORDER BY started_at DESC, seq DESC LIMIT ?", [limit]);
    return Promise.all(
      rows.map(async (row) => {
        const attempts = await this.db.all<AttemptRow>("SELECT name, attempt, result, duration_ms, NULL AS output FROM test_attempts WHERE run_id = ? ORDER BY seq", [row.id]);
        const run = runMessage(row, testCases(attempts, []), []);
        run.tests = [];
        return run;
      }),
    );
  }

  /** The finished runs of a suite, newest first, with their tests (no output): the input of the flaky report. */
  async recentRuns(suite: string, limit: number): Promise<Run[]> {
    const ids = await this.db.all<{ id: string }>(
      "SELECT id FROM runs WHERE suite = ? AND finished_at IS NOT NULL ORDER BY started_at DESC, seq DESC LIMIT ?",
      [suite, limit],
    );
    const runs = await Promise.all(ids.map((r) => this.getRun(r.id, false)));
    return runs.filter((r): r is Run => r !== undefined);
  }

  /** Suite names that have runs. */
  async suitesWithRuns(): Promise<string[]> {
    return (await this.db.all<{ suite: string }>("SELECT DISTINCT suite FROM runs ORDER BY suite")).map((r) => r.suite);
  }

  /**
   * Marks the runs left running by a rigd of this host that is gone (`alive(pid)` false)
   * as interrupted; returns their ids. Runs of other hosts sharing the history are theirs.
   */
  async markInterrupted(now: number, alive: (pid: number) => boolean): Promise<string[]> {
    const host = `${hostname()}:`;
    const running = await this.db.all<{ id: string; owner: string }>("SELECT id, owner FROM runs WHERE status = ?", [RunStatus.RUNNING]);
    const gone = running.filter((r) => r.owner.startsWith(host) && (r.owner === OWNER || !alive(Number(r.owner.slice(host.length)))));
    for (const run of gone) {
      await this.db.run("UPDATE runs SET status = ?, finished_at = ?, error = 'rigd stopped while it ran' WHERE id = ? AND status = ?", [
        RunStatus.INTERRUPTED,
        now,
        run.id,
        RunStatus.RUNNING,
      ]);
    }
    return gone.map((r) => r.id);
  }

  /** Removes finished runs older than keepDays and beyond keepRunsPerSuite; returns how many. */
  async prune(policy: RetentionPolicy, now: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      let removed = 0;
      if (policy.keepDays > 0) {
        removed += await tx.run("DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < ?", [now - policy.keepDays * 86_400_000]);
      }
      if (policy.keepRunsPerSuite > 0) {
        removed += await tx.run(
          `DELETE FROM runs WHERE finished_at IS NOT NULL AND id IN (
             SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY suite ORDER BY started_at DESC, seq DESC) AS n FROM runs) ranked
             WHERE n > ?)`,
          [policy.keepRunsPerSuite],
        );
      }
      return removed;
    });
  }

  /** Runs any query (tests inspect the database with it). */
  query<T>(sql: string, ...params: SqlValue[]): Promise<T[]> {
    return this.db.all<T>(sql, params);
  }

  close(): Promise<void> {
    return this.db.close();
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
