/**
 * The suites pages, over rig.v1.SuiteService:
 *   #/suites           every suite with its schedule and last runs, a Run button, the flaky tests
 *   #/suite-run/ID     one run: its tests with every attempt, each test's results over the
 *                      suite's last runs, its output, and links to the environments it created;
 *                      a running run updates as its tests finish (WatchRun)
 */
import { ConnectError } from "@connectrpc/connect";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { RunStatus, TestResult, type Run, type TestCase } from "../../src/gen/rig/v1/suite_service_pb.js";
import { duration, h } from "./dom.js";
import type { SuitesClient } from "./rig-api.js";

/** How many runs of a suite the pages look back on. */
const HISTORY_RUNS = 10;

const statusName = (s: RunStatus): string => (RunStatus[s] ?? "unknown").toLowerCase().replace(/_/g, " ");
const resultName = (r: TestResult): string => (TestResult[r] ?? "unknown").toLowerCase();
/** Badge colours of the environment outcomes: passed green, running amber, the rest red. */
const statusClass = (s: RunStatus): string => (s === RunStatus.PASSED ? "outcome-passed" : s === RunStatus.RUNNING ? "outcome-starting" : "outcome-failed");
const resultClass = (r: TestResult): string => (r === TestResult.PASSED ? "outcome-passed" : r === TestResult.FAILED ? "outcome-failed" : "outcome-down");

function runSummary(run: Run): string {
  const started = run.startedAt ? timestampMs(run.startedAt) : Date.now();
  const ended = run.finishedAt ? timestampMs(run.finishedAt) : Date.now();
  return `${run.passed} passed, ${run.failed} failed, ${run.skipped} skipped${run.flaky ? `, ${run.flaky} flaky` : ""} · ${duration(ended - started)}`;
}

function runLink(run: Run): HTMLElement {
  return h(
    "li",
    { "data-run": run.id, "data-status": statusName(run.status) },
    h("a", { href: `#/suite-run/${encodeURIComponent(run.id)}` }, run.id),
    " ",
    h("span", { class: `badge ${statusClass(run.status)}` }, statusName(run.status)),
    ` ${runSummary(run)} · ${run.startedAt ? new Date(timestampMs(run.startedAt)).toLocaleString() : ""}`,
  );
}

/** The suites page; returns its stop function. */
export function showSuites(app: HTMLElement, suites: SuitesClient): () => void {
  const list = h("div", { class: "suites" });
  const flaky = h("tbody", { id: "flaky-rows" });
  const status = h("p", { class: "hint" });
  app.replaceChildren(
    h("p", { class: "live-note" }, h("a", { href: "#/" }, "← environments")),
    h("section", {}, h("h2", {}, "Suites"), status, list),
    h(
      "section",
      {},
      h("h2", {}, "Flaky tests"),
      h("table", { class: "envs" }, h("thead", {}, h("tr", {}, ...["suite", "test", "flip rate", "retried to pass", "failures", "last"].map((c) => h("th", {}, c)))), flaky),
    ),
  );
  let stopped = false;
  const draw = async (): Promise<void> => {
    const [{ suites: all }, { runs }, report] = await Promise.all([suites.listSuites({}), suites.listRuns({ limit: 200 }), suites.getFlakyReport({ lastRuns: 20 })]);
    list.replaceChildren(
      ...all.map((s) => {
        const run = h("button", { "data-run-suite": s.name }, "Run");
        run.addEventListener("click", () => {
          run.setAttribute("disabled", "");
          suites.startRun({ suite: s.name }).then(
            (res) => (location.hash = `#/suite-run/${encodeURIComponent(res.run!.id)}`),
            (err: unknown) => status.replaceChildren(h("span", { class: "error" }, `rigd: ${ConnectError.from(err).message}`)),
          );
        });
        const schedule = s.schedule ? `schedule "${s.schedule}"${s.nextRun ? `, next ${new Date(timestampMs(s.nextRun)).toLocaleTimeString()}` : ""}` : "on demand";
        return h(
          "div",
          { class: "suite", "data-suite": s.name },
          h("h3", {}, s.name, " ", h("span", { class: "hint" }, `${s.namespace} · ${schedule} · ${s.maxAttempts} attempts · timeout ${s.timeout ? duration(durationMs(s.timeout)) : "-"}`), " ", run),
          h("p", { class: "hint" }, h("code", {}, s.command), ` in ${s.dir}`),
          h("ul", { class: "runs" }, ...runs.filter((r) => r.suite === s.name).slice(0, HISTORY_RUNS).map(runLink)),
        );
      }),
    );
    flaky.replaceChildren(
      ...report.tests.map((t) =>
        h(
          "tr",
          { "data-flaky": `${t.suite}/${t.name}` },
          h("td", {}, t.suite),
          h("td", {}, t.name),
          h("td", {}, `${Math.round(t.flipRate * 100)}% (${t.flips} of ${Math.max(0, t.runs - 1)})`),
          h("td", {}, String(t.flakyRuns)),
          h("td", {}, String(t.failures)),
          h("td", {}, h("span", { class: `badge ${resultClass(t.lastResult)}` }, resultName(t.lastResult))),
        ),
      ),
    );
    status.textContent = `${all.length} suites · updated ${new Date().toLocaleTimeString()}`;
  };
  const poll = async (): Promise<void> => {
    while (!stopped) {
      await draw().catch((err: unknown) => (status.textContent = `rigd: ${ConnectError.from(err).message}`));
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void poll();
  return () => {
    stopped = true;
  };
}

/** One run's page; returns its stop function. */
export function showSuiteRun(app: HTMLElement, suites: SuitesClient, runId: string): () => void {
  const head = h("div", {});
  const tests = h("tbody", { id: "test-rows" });
  app.replaceChildren(
    h("p", { class: "live-note" }, h("a", { href: "#/suites" }, "← suites")),
    head,
    h("table", { class: "envs" }, h("thead", {}, h("tr", {}, ...["test", "result", "attempts", "last runs", "environments"].map((c) => h("th", {}, c)))), tests),
  );
  const abort = new AbortController();
  let history: Run[] = [];
  const draw = async (): Promise<void> => {
    const { run } = await suites.getRun({ runId, includeOutput: true });
    if (!run) return;
    if (!history.length || run.finishedAt) {
      // The suite's last runs, oldest first, for each test's results over time.
      const { runs } = await suites.listRuns({ suite: run.suite, limit: HISTORY_RUNS });
      history = (await Promise.all(runs.reverse().map(async (r) => (await suites.getRun({ runId: r.id })).run))).filter((r): r is Run => r !== undefined);
    }
    head.replaceChildren(
      h("h2", {}, `${run.suite} `, h("span", { class: `badge ${statusClass(run.status)}`, "data-run-status": statusName(run.status) }, statusName(run.status))),
      h("p", { class: "hint" }, `${run.id} · ${runSummary(run)} · attempts ${run.attempts}${run.filter ? ` · filter ${run.filter}` : ""}`),
      run.error ? h("p", { class: "error" }, run.error) : "",
    );
    tests.replaceChildren(...run.tests.map((t) => testRow(t, history)));
  };
  void (async () => {
    await draw().catch((err: unknown) => head.replaceChildren(h("p", { class: "error" }, `cannot load run ${runId}: ${ConnectError.from(err).message}`)));
    try {
      for await (const msg of suites.watchRun({ runId }, { signal: abort.signal })) {
        if (msg.event.case === "testFinished" || msg.event.case === "finished") await draw();
      }
    } catch {
      // the page went elsewhere, or rigd went away: the last drawing stays
    }
  })();
  return () => abort.abort();
}

function testRow(t: TestCase, history: readonly Run[]): HTMLElement {
  const output = t.attempts.filter((a) => a.output && a.result === TestResult.FAILED).map((a) => `attempt ${a.attempt}:\n${a.output}`).join("\n\n");
  const dots = history.map((run) => {
    const past = run.tests.find((x) => x.name === t.name);
    const result = past ? resultName(past.result) : "absent";
    return h("a", { href: `#/suite-run/${encodeURIComponent(run.id)}`, class: `dot ${past ? resultClass(past.result) : ""}`, title: `${run.id}: ${result}${past?.flaky ? " (flaky)" : ""}`, "data-result": result });
  });
  return h(
    "tr",
    { "data-test": t.name, "data-result": resultName(t.result) },
    h("td", {}, t.name, output ? h("details", {}, h("summary", {}, "output"), h("pre", { class: "test-output" }, output)) : ""),
    h("td", {}, h("span", { class: `badge ${resultClass(t.result)}` }, resultName(t.result)), t.flaky ? h("span", { class: "badge flaky" }, "flaky") : ""),
    h("td", {}, t.attempts.map((a) => `${a.attempt}: ${resultName(a.result)} ${a.duration ? duration(durationMs(a.duration)) : ""}`).join(" · ")),
    h("td", { class: "dots" }, ...dots),
    h("td", {}, ...t.environmentIds.map((id) => h("a", { href: `#/env/${encodeURIComponent(id)}`, "data-environment": id }, id, " "))),
  );
}
