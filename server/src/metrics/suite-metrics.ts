/**
 * handoff's suite metrics, kept by a suite hook: suites running, runs started and
 * finished, and tests run by result (each attempt of a test counts once), labelled by
 * namespace and suite.
 */
import type { SuiteHook } from "../contract/suite-hooks.js";
import { RunStatus, TestResult, type Run } from "../gen/rig/v1/suite_service_pb.js";
import type { LazyRegistry } from "./lazy-registry.js";

const RESULT_LABEL: Readonly<Record<number, string>> = {
  [TestResult.PASSED]: "passed",
  [TestResult.FAILED]: "failed",
  [TestResult.SKIPPED]: "skipped",
};

/** Lower-case status names for the result label (passed, failed, timed_out...). */
const statusLabel = (status: RunStatus): string => (RunStatus[status] ?? "unspecified").toLowerCase();

/** Adds the suite metrics to `registry` and returns the hook that keeps them. */
export function suiteMetrics(registry: LazyRegistry): SuiteHook {
  const labelNames = ["namespace", "suite_name"] as const;
  const update = registry.add((prom, registers) => ({
    running: new prom.Gauge({ name: "rig_testsuites_running", help: "Test suite runs in flight", labelNames, registers: [registers] }),
    started: new prom.Counter({ name: "rig_testsuites_started_total", help: "Test suite runs started", labelNames, registers: [registers] }),
    finished: new prom.Counter({
      name: "rig_testsuites_finished_total",
      help: "Test suite runs finished, by result (passed, failed, timed_out, cancelled, error, interrupted)",
      labelNames: [...labelNames, "result"],
      registers: [registers],
    }),
    tests: new prom.Counter({
      name: "rig_tests_run_total",
      help: "Test attempts run, by result (passed, failed, skipped)",
      labelNames: [...labelNames, "result"],
      registers: [registers],
    }),
    flaky: new prom.Counter({
      name: "rig_tests_flaky_total",
      help: "Tests that failed and then passed on a retry within a run",
      labelNames,
      registers: [registers],
    }),
  }));
  // Read now: an update may run later, when the run has moved on.
  const labels = (run: Run) => ({ namespace: run.namespace, suite_name: run.suite });
  return {
    name: "metrics",
    runStarted(run) {
      const of = labels(run);
      update((m) => {
        m.started.inc(of);
        m.running.inc(of);
      });
    },
    testFinished(run, test) {
      const of = { ...labels(run), result: RESULT_LABEL[test.result] ?? "unspecified" };
      update((m) => m.tests.inc(of));
    },
    runFinished(run) {
      const of = labels(run);
      const result = statusLabel(run.status);
      const flaky = run.flaky;
      update((m) => {
        m.running.dec(of);
        m.finished.inc({ ...of, result });
        if (flaky > 0) m.flaky.inc(of, flaky);
      });
    },
  };
}
