/**
 * How suite runs and tests read in the terminal, shared by `rig run`, `rig runs` and
 * `rig flaky`: one line per run, per test attempt, per flaky test.
 */
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { RunStatus, RunTrigger, TestResult, type FlakyTest, type Run, type TestAttempt } from "../gen/rig/v1/suite_service_pb.js";
import type { CliOutput } from "./cli-output.js";
import { rigdEndpoints, type RigdEndpoint } from "./rigd-connection.js";
import { dateTime, formatDurationMs } from "../diagnosis/duration-text.js";

/** The rigd whose suites the commands show (the first of RIG_SERVER or RIG_DIR's addr files). */
export async function suiteRigd(out: CliOutput): Promise<RigdEndpoint | undefined> {
  const [rigd] = await rigdEndpoints(out.io.env);
  if (!rigd) out.warn("rig: no rigd found (no rigd-*.addr in RIG_DIR and no RIG_SERVER); start one with `rigd --suites FILE`");
  return rigd;
}

/** `passed`, `failed`, `timed out`... */
export function statusText(status: RunStatus): string {
  return (RunStatus[status] ?? "unknown").toLowerCase().replace(/_/g, " ");
}

/** The status, coloured. */
export function styledStatus(out: CliOutput, status: RunStatus): string {
  const text = statusText(status);
  if (status === RunStatus.PASSED) return out.style.green(text);
  if (status === RunStatus.RUNNING) return out.style.cyan(text);
  return out.style.red(text);
}

/** One line for a run: id, suite, status, counts, trigger, start, duration. */
export function runLine(out: CliOutput, run: Run): string {
  const started = run.startedAt ? timestampMs(run.startedAt) : 0;
  const ended = run.finishedAt ? timestampMs(run.finishedAt) : out.io.now();
  const counts = `${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped${run.flaky ? `, ${out.style.yellow(`${run.flaky} flaky`)}` : ""}`;
  const trigger = (RunTrigger[run.trigger] ?? "").toLowerCase();
  return `${run.id}  ${run.suite.padEnd(12)} ${styledStatus(out, run.status).padEnd(out.style.enabled ? 19 : 10)} ${counts}  ${trigger}  ${dateTime(started)}  ${formatDurationMs(ended - started)}${run.error ? `  ${out.style.dim(run.error)}` : ""}`;
}

const MARK: Readonly<Record<number, string>> = { [TestResult.PASSED]: "ok  ", [TestResult.FAILED]: "FAIL", [TestResult.SKIPPED]: "skip" };

/** One line for one attempt of one test. */
export function attemptLine(out: CliOutput, name: string, attempt: TestAttempt, flaky = false): string {
  const mark = MARK[attempt.result] ?? "?   ";
  const styled = attempt.result === TestResult.PASSED ? out.style.green(mark) : attempt.result === TestResult.FAILED ? out.style.red(mark) : out.style.dim(mark);
  const ms = attempt.duration ? durationMs(attempt.duration) : 0;
  return `  ${styled} ${name}  ${out.style.dim(`attempt ${attempt.attempt}, ${formatDurationMs(ms)}`)}${flaky ? `  ${out.style.yellow("flaky")}` : ""}`;
}

/** The lines of a run's tests, with every attempt and each test's environments. */
export async function printTests(out: CliOutput, run: Run, withOutput: boolean): Promise<void> {
  for (const test of run.tests) {
    for (const attempt of test.attempts) {
      await out.line(attemptLine(out, test.name, attempt, test.flaky && attempt === test.attempts.at(-1)));
      if (withOutput && attempt.output && attempt.result === TestResult.FAILED) {
        for (const line of attempt.output.split("\n")) await out.line(`        ${out.style.dim(line)}`);
      }
    }
    if (test.environmentIds.length) await out.line(`        environments: ${test.environmentIds.join(", ")}`);
  }
}

/** One line of the flaky report. */
export function flakyLine(out: CliOutput, t: FlakyTest): string {
  const last = (TestResult[t.lastResult] ?? "").toLowerCase();
  return `${t.suite.padEnd(12)} ${t.name}  ${out.style.yellow(`flip rate ${(t.flipRate * 100).toFixed(0)}%`)} (${t.flips} flips in ${t.runs} runs), retried to pass in ${t.flakyRuns}, failed ${t.failures}, last ${last}`;
}
