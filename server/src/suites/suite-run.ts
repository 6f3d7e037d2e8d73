/**
 * One run of a suite: attempt 1 runs the suite (with its filter); each later attempt runs
 * only the tests that failed, until they pass or max attempts ran. Per-test results come
 * from the runner's own report (test-report.ts), else from the exit code. The whole run is
 * bounded by the suite's timeout; at the end (timeout and cancel included) its process
 * tree is dead and the environments it created are destroyed.
 */
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { AttemptStartedSchema, RunSchema, RunStatus, TestAttemptSchema, TestCaseSchema, TestResult, type Run } from "../gen/rig/v1/suite_service_pb.js";
import type { HookCaller } from "./hook-caller.js";
import type { RunHistory } from "./run-history.js";
import type { RunProgress } from "./run-progress.js";
import type { ReportKind, SuiteDefinition } from "./suite-definition.js";
import { runAttempt, type AttemptHost } from "./suite-process.js";
import { parseGoTestJson, parseJunit, parseTap, type ParsedTest } from "./test-report.js";

/** The variables a suite's command (and the rig SDKs in it) see. */
export const SUITE_ENV = {
  run: "RIG_SUITE_RUN",
  suite: "RIG_SUITE_NAME",
  attempt: "RIG_SUITE_ATTEMPT",
  report: "RIG_SUITE_REPORT",
} as const;

/** Output lines of an attempt kept for a test the report does not cover (exit-code results). */
const TAIL_LINES = 200;
/** Output kept per test attempt (deflated in history). */
const MAX_TEST_OUTPUT = 1024 * 1024;
/** stdout kept for the report parser (go test -json, TAP); a suite printing more is cut. */
const MAX_REPORT_STDOUT = 256 * 1024 * 1024;

/** What a run works with. */
export interface RunDeps {
  readonly history: RunHistory;
  readonly host: AttemptHost;
  readonly hooks: HookCaller;
  /** RIG_SERVER and RIG_TOKEN of this rigd, so the suite's tests use it. */
  readonly rigdEnv: () => Readonly<Record<string, string>>;
  /** Where attempts write their report files (removed after parsing). */
  readonly reportDir: string;
  /** Environments the run created so far (linked by their labels). */
  readonly environmentsOf: (runId: string) => readonly string[];
  /** Resolves once the environment links written so far are in history. */
  readonly linksWritten: () => Promise<void>;
  /** Destroys one environment; an environment already gone is fine. */
  readonly destroyEnvironment: (id: string) => Promise<void>;
  readonly log: Logger;
}

/**
 * Runs `runId` (already recorded as running) to its end; returns the finished run. `stop`
 * aborts with the reason "cancelled" (CancelRun) or "interrupted" (rigd stopping).
 */
export async function executeRun(
  def: SuiteDefinition,
  runId: string,
  filter: string,
  stop: AbortSignal,
  progress: RunProgress,
  deps: RunDeps,
): Promise<Run> {
  const timeout = AbortSignal.timeout(def.timeoutMs);
  const signal = AbortSignal.any([stop, timeout]);
  const log = deps.log.child({ suite: def.name, run: runId });
  let attempt = 0;
  let exitCode = 0;
  let error = "";
  let status: RunStatus | undefined;
  let retryNames: string[] | undefined;
  // What the test hooks are told about the run (its tests come at its end).
  const header = create(RunSchema, { id: runId, suite: def.name, namespace: def.namespace, status: RunStatus.RUNNING, filter });
  try {
    for (;;) {
      attempt++;
      const attemptFilter = retryNames ? retryFilter(def.format, def.command, retryNames) : filter;
      progress.push({ case: "attemptStarted", value: create(AttemptStartedSchema, { attempt, filter: attemptFilter }) });
      const reportFile = join(deps.reportDir, `${runId}-${attempt}.report`);
      const stdout: string[] = [];
      let stdoutChars = 0;
      const tail: string[] = [];
      const exit = await runAttempt(deps.host, {
        command: withFilter(def.command, def.filterFlag, attemptFilter),
        dir: def.dir,
        env: {
          ...inheritedEnv(),
          ...deps.rigdEnv(),
          ...def.env,
          [SUITE_ENV.run]: runId,
          [SUITE_ENV.suite]: def.name,
          [SUITE_ENV.attempt]: String(attempt),
          [SUITE_ENV.report]: reportFile,
        },
        signal,
        onLine: (stream, line) => {
          if (stream === "stdout" && (def.format === "go-test-json" || def.format === "tap") && stdoutChars < MAX_REPORT_STDOUT) {
            stdout.push(line);
            stdoutChars += line.length + 1;
          }
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          progress.push({ case: "outputLine", value: line });
        },
      });
      exitCode = exit.code;
      if (exit.aborted) {
        status = stop.aborted ? (stop.reason === "interrupted" ? RunStatus.INTERRUPTED : RunStatus.CANCELLED) : RunStatus.TIMED_OUT;
        error = status === RunStatus.TIMED_OUT ? `killed at its timeout of ${def.timeoutMs / 1000}s` : `run ${stop.reason as string}`;
      }
      const reported = await readTests(def, reportFile, stdout.join("\n"), exit.code, tail.join("\n"), exit.aborted);
      // A retry reruns the failed tests; whatever else the runner reports (node names a
      // file all of whose tests the filter left out as a test of its own) is not a result.
      const tests = retryNames ? reported.filter((t) => t.synthetic || retryNames!.includes(t.name)) : reported;
      for (const test of tests) await record(deps, header, attempt, test, progress);
      if (status !== undefined) break;
      const failed = tests.filter((t) => t.result === "failed");
      if (failed.length === 0 || attempt >= def.maxAttempts) break;
      // A failure the report does not name (a crash, a build error) means running everything again.
      retryNames = def.filterFlag && failed.every((t) => !t.synthetic) ? failed.map((t) => t.name) : undefined;
      log.info({ attempt, failed: failed.map((t) => t.name) }, "retrying failed tests");
    }
  } catch (err) {
    status = RunStatus.ERROR;
    error = (err as Error).message;
    log.warn({ err }, "suite run could not run");
  }
  await destroyEnvironments(deps, runId, log);
  await deps.linksWritten();
  const final = (await deps.history.getRun(runId, false))!;
  await deps.history.finishRun(runId, {
    status: status ?? (final.failed > 0 ? RunStatus.FAILED : RunStatus.PASSED),
    exitCode,
    error,
    attempts: attempt,
    finishedAt: Date.now(),
  });
  return (await deps.history.getRun(runId, false))!;
}

/**
 * rigd's environment, without what would change how a test runner behaves: a rigd started
 * from inside a node:test run (its own tests) must not make node --test report to that run.
 */
function inheritedEnv(): Record<string, string> {
  const env = { ...(process.env as Record<string, string>) };
  delete env["NODE_TEST_CONTEXT"];
  return env;
}

/** A parsed test, or one made up from the exit code when the report has nothing to say. */
type AttemptTest = ParsedTest & { readonly synthetic?: boolean };

async function readTests(def: SuiteDefinition, reportFile: string, stdout: string, code: number, tail: string, aborted: boolean): Promise<AttemptTest[]> {
  let tests: AttemptTest[] = [];
  if (def.format === "go-test-json") tests = parseGoTestJson(stdout);
  else if (def.format === "tap") tests = parseTap(stdout);
  else if (def.format === "junit") {
    const xml = await readFile(reportFile, "utf8").catch(() => "");
    await rm(reportFile, { force: true });
    if (xml) tests = await parseJunit(xml);
  }
  const failed = tests.some((t) => t.result === "failed");
  if (code !== 0 && !failed) {
    // The command failed but the report names no failed test: a crash, a build error, a timeout.
    const name = tests.length === 0 ? def.name : `${def.name} [${aborted ? "killed" : `exit code ${code}`}]`;
    tests.push({ name, result: "failed", durationMs: 0, output: tail, synthetic: true });
  } else if (tests.length === 0) {
    tests.push({ name: def.name, result: "passed", durationMs: 0, output: tail, synthetic: true });
  }
  return tests;
}

const RESULT: Readonly<Record<ParsedTest["result"], TestResult>> = {
  passed: TestResult.PASSED,
  failed: TestResult.FAILED,
  skipped: TestResult.SKIPPED,
};

async function record(deps: RunDeps, header: Run, attempt: number, test: ParsedTest, progress: RunProgress): Promise<void> {
  const result = RESULT[test.result];
  const output = test.output.length > MAX_TEST_OUTPUT ? `${test.output.slice(0, MAX_TEST_OUTPUT)}\n[rig: output cut at ${MAX_TEST_OUTPUT} characters]` : test.output;
  await deps.history.addAttempt(header.id, { name: test.name, attempt, result, durationMs: test.durationMs, output });
  const testCase = create(TestCaseSchema, {
    name: test.name,
    result,
    flaky: false,
    attempts: [create(TestAttemptSchema, { attempt, result, duration: durationFromMs(test.durationMs), output })],
  });
  progress.push({ case: "testFinished", value: testCase });
  deps.hooks.call("testFinished", header, testCase);
}

async function destroyEnvironments(deps: RunDeps, runId: string, log: Logger): Promise<void> {
  await Promise.all(
    deps.environmentsOf(runId).map((id) =>
      deps.destroyEnvironment(id).catch((err: unknown) => log.warn({ err, environment: id }, "could not destroy an environment of the run")),
    ),
  );
}

/** The command with `FLAG 'filter'` appended (quoted for /bin/sh). */
export function withFilter(command: string, flag: string, filter: string): string {
  if (!filter || !flag) return command;
  // node takes options before its test files only: right after --test.
  const nodeTest = flag.startsWith("--test-") ? /(^|\s)--test(?=\s|$)/.exec(command) : null;
  if (nodeTest) {
    const at = nodeTest.index + nodeTest[0].length;
    return `${command.slice(0, at)} ${flag}=${shellQuote(filter)}${command.slice(at)}`;
  }
  return `${command} ${flag} ${shellQuote(filter)}`;
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A filter that selects exactly these tests, in the runner's own filter language. */
export function retryFilter(format: ReportKind, command: string, names: readonly string[]): string {
  if (format === "go-test-json") {
    // -run splits on '/': a failed subtest reruns its top-level test.
    const tops = [...new Set(names.map((n) => n.split("/")[0]!))];
    return `^(${tops.map(escapeRegExp).join("|")})$`;
  }
  if (/\bpytest\b/.test(command)) {
    // -k takes an expression over names; parametrised ids ("test_x[1]") match by their function name.
    return [...new Set(names.map((n) => n.replace(/\[.*$/, "")))].join(" or ");
  }
  // node --test-name-pattern matches each test's own name.
  const leaves = [...new Set(names.map((n) => n.split(" > ").at(-1)!))];
  return `^(?:${leaves.map(escapeRegExp).join("|")})$`;
}
