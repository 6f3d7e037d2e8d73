/**
 * The dashboard page: routes on the URL fragment.
 *   #/                 environments (live, and those gone while the page watched), recorded runs, open a file
 *   #/env/ID           one live environment, following WatchEvents (with logs)
 *   #/run/ID           replay of a run recorded in rigd's RIG_DIR/logs
 *   #/file             replay of an events.jsonl opened or dropped on the page
 *   #/suites           test suites, their runs and flaky tests; #/suite-run/ID one run (suites-view.ts)
 * `rig ui` opens `#token=...` (and `&route=/env/ID` or `&route=/run/ID` for a RUN).
 */
import { ConnectError, Code } from "@connectrpc/connect";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { DownReason, type Event } from "../../src/gen/rig/v1/event_pb.js";
import { EnvironmentState, type Environment } from "../../src/gen/rig/v1/environment_service_pb.js";
import { duration, h } from "./dom.js";
import { EnvView } from "./env-view.js";
import { eventPages, recordedEvents, recordedRuns, rigClient, suitesClient, takeToken, type RigClient } from "./rig-api.js";
import { showSuiteRun, showSuites } from "./suites-view.js";
import { ReplayView } from "./replay-view.js";
import { KEEP_LIVE, RunModel } from "./run-model.js";

const token = takeToken();
const client = rigClient(token);
const suites = suitesClient(token);
const app = document.getElementById("app")!;
let stopCurrent: () => void = () => {};
let droppedFile: File | undefined;

/** What the environments list knows of one environment. */
interface Row {
  id: string;
  name: string;
  outcome: string;
  createdAt: number;
  endedAt: number | undefined;
  services: number;
  live: boolean;
}
const rows = new Map<string, Row>();

function route(): void {
  stopCurrent();
  stopCurrent = () => {};
  takeToken(); // a fragment with the token again (a second `rig ui` URL): out of the address bar
  const hash = location.hash.replace(/^#/, "");
  // `rig ui RUN` hands over `#token=...&route=/run/ID` (the token is taken out first).
  const handed = hash.includes("=") ? new URLSearchParams(hash).get("route") : null;
  const path = hash;
  if (!token) {
    app.replaceChildren(h("p", { class: "error" }, "No token: open the URL `rig ui` prints (it carries the token once)."));
    return;
  }
  let m: RegExpExecArray | null;
  if (handed) location.replace(`#${handed}`);
  else if ((m = /^\/env\/(.+)$/.exec(path))) showLive(decodeURIComponent(m[1]!));
  else if ((m = /^\/run\/(.+)$/.exec(path))) void showRecorded(decodeURIComponent(m[1]!));
  else if (path === "/file") void showReplay("dropped file", droppedFile ? eventPages(droppedFile.stream()) : undefined);
  else if (path === "/suites") stopCurrent = showSuites(app, suites);
  else if ((m = /^\/suite-run\/(.+)$/.exec(path))) stopCurrent = showSuiteRun(app, suites, decodeURIComponent(m[1]!));
  else showList();
}

function outcomeOf(env: Environment): string {
  switch (env.state) {
    case EnvironmentState.STARTING: return "starting";
    case EnvironmentState.UP: return "up";
    case EnvironmentState.FAILING: return "failing";
    case EnvironmentState.DESTROYING: return "destroying";
    case EnvironmentState.DOWN: return env.down && (env.down.reason === DownReason.FAILED || env.down.testFailed) ? "failed" : "passed";
    default: return "starting";
  }
}

function showList(): void {
  const outcome = h("select", { name: "outcome" }, ...["", "starting", "up", "failing", "passed", "failed", "down"].map((o) => h("option", { value: o }, o || "any outcome")));
  const name = h("input", { name: "name", placeholder: "name" });
  const table = h("tbody", { id: "env-rows" });
  const runs = h("ul", { class: "runs" });
  const status = h("p", { class: "hint" });
  const fileInput = h("input", { type: "file", accept: ".jsonl,application/x-ndjson,application/json", name: "events-file" });
  fileInput.addEventListener("change", () => openFile(fileInput.files?.[0]));
  app.replaceChildren(
    h("p", { class: "live-note" }, h("a", { href: "#/suites", id: "suites-link" }, "Suites →")),
    h("section", {}, h("h2", {}, "Environments"), h("div", { class: "filters" }, outcome, name), status,
      h("table", { class: "envs" }, h("thead", {}, h("tr", {}, ...["name", "outcome", "age", "duration", "services"].map((c) => h("th", {}, c)))), table)),
    h("section", {}, h("h2", {}, "Recorded runs"), h("p", { class: "hint" }, "Replay a run of this rigd, or open (or drop on the page) any events.jsonl: ", fileInput), runs),
  );
  const draw = (): void => {
    const now = Date.now();
    const want = outcome.value;
    const text = name.value.toLowerCase();
    const shown = [...rows.values()]
      .filter((r) => (!want || r.outcome === want) && (!text || r.name.toLowerCase().includes(text) || r.id.includes(text)))
      .sort((a, b) => b.createdAt - a.createdAt);
    table.replaceChildren(...shown.map((r) => h("tr", { "data-env": r.id, "data-outcome": r.outcome, class: r.live ? "live" : "gone" },
      h("td", {}, h("a", { href: r.live ? `#/env/${encodeURIComponent(r.id)}` : `#/run/${encodeURIComponent(r.id)}` }, r.name), h("span", { class: "id" }, ` ${r.id}`)),
      h("td", {}, h("span", { class: `badge outcome-${r.outcome}` }, r.outcome)),
      h("td", {}, duration(now - r.createdAt)),
      h("td", {}, duration((r.endedAt ?? now) - r.createdAt)),
      h("td", {}, String(r.services)))));
  };
  outcome.addEventListener("input", draw);
  name.addEventListener("input", draw);
  let stopped = false;
  const poll = async (): Promise<void> => {
    while (!stopped) {
      try {
        const res = await client.listEnvironments({});
        const seen = new Set<string>();
        for (const env of res.environments) {
          seen.add(env.id);
          const out = outcomeOf(env);
          rows.set(env.id, {
            id: env.id, name: env.name, outcome: out, live: true,
            createdAt: env.createdAt ? timestampMs(env.createdAt) : Date.now(),
            endedAt: out === "passed" || out === "failed" ? rows.get(env.id)?.endedAt ?? Date.now() : undefined,
            services: env.services.filter((s) => !s.internal).length,
          });
        }
        for (const r of rows.values()) {
          if (seen.has(r.id) || !r.live) continue;
          r.live = false;
          r.endedAt ??= Date.now();
          if (r.outcome !== "passed" && r.outcome !== "failed") r.outcome = r.outcome === "failing" ? "failed" : "down";
        }
        status.textContent = `${res.environments.length} live · updated ${new Date().toLocaleTimeString()}`;
      } catch (err) {
        status.textContent = `rigd: ${ConnectError.from(err).message}`;
      }
      draw();
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  void poll();
  void recordedRuns(token).then((list) => runs.replaceChildren(...list.slice(0, 50).map((r) =>
    h("li", { "data-run": r.id }, h("a", { href: `#/run/${encodeURIComponent(r.id)}` }, r.id), ` ${new Date(r.modified).toLocaleString()} · ${(r.bytes / 1024).toFixed(1)} KiB`))))
    .catch((err: unknown) => runs.replaceChildren(h("li", { class: "error" }, String(err))));
  stopCurrent = () => { stopped = true; };
}

function showLive(id: string): void {
  const model = new RunModel(KEEP_LIVE);
  const view = new EnvView(model, h("p", { class: "live-note" }, h("a", { href: "#/" }, "← environments"), " · live"));
  app.replaceChildren(view.element);
  const abort = new AbortController();
  stopCurrent = () => abort.abort();
  (window as unknown as { rigView: EnvView }).rigView = view;
  void follow(client, id, model, view, abort.signal);
}

async function follow(c: RigClient, id: string, model: RunModel, view: EnvView, signal: AbortSignal): Promise<void> {
  try {
    for await (const res of c.watchEvents({ environmentId: id, includeLogs: true }, { signal })) {
      if (res.event) model.apply(res.event);
      view.changed();
    }
  } catch (err) {
    if (signal.aborted) return;
    const e = ConnectError.from(err);
    if (e.code === Code.NotFound && model.applied === 0) {
      location.replace(`#/run/${encodeURIComponent(id)}`);
      return;
    }
    if (e.code !== Code.NotFound) view.element.prepend(h("p", { class: "error" }, `rigd: ${e.message}`));
  }
  view.changed();
}

function showRecorded(id: string): Promise<void> {
  return showReplay(id, recordedEvents(token, id));
}

/** A replay drawn while its events load, page by page; leaving the page stops the loading. */
async function showReplay(title: string, pages: AsyncIterable<Event[]> | undefined): Promise<void> {
  const replay = new ReplayView(title);
  app.replaceChildren(replay.element);
  (window as unknown as { rigView: EnvView }).rigView = replay.view;
  let stopped = false;
  stopCurrent = () => {
    stopped = true;
    replay.stop();
  };
  try {
    for await (const page of pages ?? []) {
      if (stopped) return;
      replay.append(page);
    }
    replay.loaded();
  } catch (err) {
    if (!stopped) app.replaceChildren(h("p", { class: "error" }, `cannot load run ${title}: ${String(err)}`), h("a", { href: "#/" }, "← environments"));
  }
}

function openFile(file: File | undefined): void {
  if (!file) return;
  droppedFile = file;
  if (location.hash === "#/file") route();
  else location.hash = "#/file";
}

document.addEventListener("dragover", (e) => e.preventDefault());
document.addEventListener("drop", (e) => {
  e.preventDefault();
  openFile(e.dataTransfer?.files[0]);
});
window.addEventListener("hashchange", route);
route();
