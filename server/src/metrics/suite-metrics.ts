/**
 * handoff's suite metrics, kept by a suite hook: suites running, runs started and
 * finished, and tests run by result (each attempt of a test counts once), labelled by
 * namespace and suite.
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { SuiteHook } from "../contract/suite-hooks.js";
import { RunStatus, TestResult, type Run } from "../gen/rig/v1/suite_service_pb.js";

const RESULT_LABEL: Readonly<Record<number, string>> = {
  [TestResult.PASSED]: "passed",
  [TestResult.FAILED]: "failed",
  [TestResult.SKIPPED]: "skipped",
};

/** Lower-case status names for the result label (passed, failed, timed_out...). */
const statusLabel = (status: RunStatus): string => (RunStatus[status] ?? "unspecified").toLowerCase();

/** Registers the suite metrics in `registry` and returns the hook that keeps them. */
export function suiteMetrics(registry: Registry): SuiteHook {
  const labelNames = ["namespace", "suite_name"] as const;
  const running = new Gauge({ name: "rig_testsuites_running", help: "Test suite runs in flight", labelNames, registers: [registry] });
  const started = new Counter({ name: "rig_testsuites_started_total", help: "Test suite runs started", labelNames, registers: [registry] });
  const finished = new Counter({
    name: "rig_testsuites_finished_total",
    help: "Test suite runs finished, by result (passed, failed, timed_out, cancelled, error, interrupted)",
    labelNames: [...labelNames, "result"],
    registers: [registry],
  });
  const tests = new Counter({
    name: "rig_tests_run_total",
    help: "Test attempts run, by result (passed, failed, skipped)",
    labelNames: [...labelNames, "result"],
    registers: [registry],
  });
  const flaky = new Counter({
    name: "rig_tests_flaky_total",
    help: "Tests that failed and then passed on a retry within a run",
    labelNames,
    registers: [registry],
  });
  const labels = (run: Run) => ({ namespace: run.namespace, suite_name: run.suite });
  return {
    name: "metrics",
    runStarted(run) {
      started.inc(labels(run));
      running.inc(labels(run));
    },
    testFinished(run, test) {
      tests.inc({ ...labels(run), result: RESULT_LABEL[test.result] ?? "unspecified" });
    },
    runFinished(run) {
      running.dec(labels(run));
      finished.inc({ ...labels(run), result: statusLabel(run.status) });
      if (run.flaky > 0) flaky.inc(labels(run), run.flaky);
    },
  };
}
