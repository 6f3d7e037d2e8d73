import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { RunSchema, TestCaseSchema, TestResult, type Run } from "../gen/rig/v1/suite_service_pb.js";
import { flakyTests } from "./flaky-report.js";

const { PASSED: P, FAILED: F, SKIPPED: S } = TestResult;

/** Runs oldest first from per-run results of tests a, b, c (c retried to pass when "flaky"). */
function runs(rows: [TestResult, TestResult, TestResult | "flaky"][]): Run[] {
  return rows
    .map(([a, b, c]) =>
      create(RunSchema, {
        tests: [
          create(TestCaseSchema, { name: "a", result: a }),
          create(TestCaseSchema, { name: "b", result: b }),
          create(TestCaseSchema, { name: "c", result: c === "flaky" ? P : c, flaky: c === "flaky" }),
        ],
      }),
    )
    .reverse(); // newest first, as history gives them
}

test("flip rate over the last runs, retried-to-pass runs, steady tests left out", () => {
  const report = flakyTests(
    "s",
    runs([
      [P, P, P],
      [F, P, "flaky"],
      [P, P, P],
      [F, S, P],
      [P, P, P],
    ]),
  );
  assert.deepEqual(
    report.map((t) => [t.name, t.runs, t.flips, t.flipRate, t.flakyRuns, t.failures, TestResult[t.lastResult]]),
    [
      ["a", 5, 4, 1, 0, 2, "PASSED"],
      ["c", 5, 0, 0, 1, 0, "PASSED"],
    ],
  );
});
