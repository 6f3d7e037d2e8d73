/**
 * Which tests of a suite are flaky, from its last N runs: a test that failed and then
 * passed on a retry within a run (same code), or whose final result flips between
 * consecutive runs. Flip rate = flips / (runs - 1); skipped runs of a test do not count.
 */
import { create } from "@bufbuild/protobuf";
import { FlakyTestSchema, TestResult, type FlakyTest, type Run } from "../gen/rig/v1/suite_service_pb.js";

/** The flaky tests of one suite's runs (newest first), most flaky first. */
export function flakyTests(suite: string, runsNewestFirst: readonly Run[]): FlakyTest[] {
  const history = new Map<string, { results: TestResult[]; flakyRuns: number }>();
  for (const run of [...runsNewestFirst].reverse()) {
    for (const test of run.tests) {
      if (test.result === TestResult.SKIPPED) continue;
      const entry = history.get(test.name) ?? { results: [], flakyRuns: 0 };
      entry.results.push(test.result);
      if (test.flaky) entry.flakyRuns++;
      history.set(test.name, entry);
    }
  }
  const report: FlakyTest[] = [];
  for (const [name, { results, flakyRuns }] of history) {
    let flips = 0;
    for (let i = 1; i < results.length; i++) if (results[i] !== results[i - 1]) flips++;
    if (flips === 0 && flakyRuns === 0) continue;
    report.push(
      create(FlakyTestSchema, {
        suite,
        name,
        runs: results.length,
        flips,
        flipRate: results.length > 1 ? flips / (results.length - 1) : 0,
        flakyRuns,
        failures: results.filter((r) => r === TestResult.FAILED).length,
        lastResult: results.at(-1)!,
      }),
    );
  }
  return report.sort((a, b) => b.flipRate - a.flipRate || b.flakyRuns - a.flakyRuns || a.name.localeCompare(b.name));
}
