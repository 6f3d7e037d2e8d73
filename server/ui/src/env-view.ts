/**
 * One environment, live or replayed: a header with its outcome, the diagnosis of a
 * failed run (what `rig explain` says first: the failing service, its error and stderr),
 * and the graph, timeline, traffic and logs tabs. It draws a `RunModel` at most once a
 * frame, only the tab in view.
 */
import { duration, h } from "./dom.js";
import { renderGraph } from "./graph-view.js";
import { LogsView } from "./logs-view.js";
import type { RunModel } from "./run-model.js";
import { renderTimeline } from "./timeline-view.js";
import { TrafficView } from "./traffic-view.js";

type Tab = "diagnosis" | "graph" | "timeline" | "traffic" | "logs";
const TABS: readonly Tab[] = ["diagnosis", "graph", "timeline", "traffic", "logs"];

/** The view of one environment; `model` may be replaced (replay rebuilds it). */
export class EnvView {
  readonly element: HTMLElement;
  private readonly header = h("header", { class: "env-header" });
  private readonly tabBar = h("nav", { class: "tabs" });
  private readonly body = h("div", { class: "tab-body" });
  private readonly traffic = new TrafficView();
  private readonly logs = new LogsView();
  private tab: Tab = "graph";
  private tabChosen = false;
  private selectedService: string | undefined;
  private pending = false;
  /** When the last draw ended (performance.now()); read by the benchmark. */
  drawnAt = 0;
  /** Wall time from environment.up (its event time) to the first draw showing it; read by the benchmark. */
  upDrawnMs: number | undefined;

  constructor(public model: RunModel, extra?: HTMLElement) {
    this.element = h("div", { class: "env" }, this.header, extra, this.tabBar, this.body);
  }

  /** Asks for a redraw at the next frame. */
  changed(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  /** Draws now. */
  draw(): void {
    const m = this.model;
    const failed = m.outcome === "failed" || m.outcome === "failing";
    if (!this.tabChosen) this.tab = failed ? "diagnosis" : "graph";
    const ended = m.endedAt ?? m.lastAt;
    this.header.replaceChildren(
      h("h2", {}, m.name || m.id, " ", h("span", { class: `badge outcome-${m.outcome}`, "data-outcome": m.outcome }, m.outcome)),
      h("p", { class: "meta" }, `${m.id} · ${m.visibleServices().filter((s) => s.name !== "~test").length} services · ${m.applied} events · ${duration(Math.max(0, ended - m.createdAt))}${m.upAt ? ` · up after ${duration(m.upAt - m.createdAt)}` : ""}`),
    );
    this.tabBar.replaceChildren(...TABS.filter((t) => t !== "diagnosis" || failed).map((t) =>
      h("button", { class: t === this.tab ? "tab active" : "tab", "data-tab": t, onclick: () => { this.tab = t; this.tabChosen = true; this.draw(); } }, t),
    ));
    this.body.dataset["tab"] = this.tab;
    switch (this.tab) {
      case "diagnosis":
        this.body.replaceChildren(diagnosis(m));
        break;
      case "graph":
        renderGraph(this.body, m, this.selectedService, (name) => { this.selectedService = name; this.draw(); });
        break;
      case "timeline":
        renderTimeline(this.body, m);
        break;
      case "traffic":
        if (this.body.firstChild !== this.traffic.element) this.body.replaceChildren(this.traffic.element);
        this.traffic.update(m);
        break;
      case "logs":
        if (this.body.firstChild !== this.logs.element) this.body.replaceChildren(this.logs.element);
        this.logs.update(m);
        break;
    }
    this.drawnAt = performance.now();
    if (this.upDrawnMs === undefined && m.upAt !== undefined) this.upDrawnMs = Date.now() - m.upAt;
  }
}

/** The failure of a run, as `rig explain` opens: service, error, stderr tail, notes, failed calls. */
function diagnosis(m: RunModel): HTMLElement {
  const svc = m.services.get(m.failedService);
  const stderr = m.stderrTail.length ? m.stderrTail : svc?.stderrTail ?? [];
  const notes = m.markers.filter((k) => k.kind === "note" || k.kind === "stall");
  const failedCalls = m.traffic.filter((t) => t.failed).slice(-10);
  return h("section", { class: "diagnosis" },
    h("h3", {}, "failed: ", h("span", { class: "failed-service" }, m.failedService || "(no service)"), svc ? ` (${svc.type}, in ${svc.marks.at(-2)?.phase ?? "start"})` : ""),
    h("p", { class: "error failure" }, m.failure || svc?.error || "—"),
    h("h4", {}, "stderr"),
    h("pre", { class: "stderr" }, stderr.join("\n") || "(none)"),
    notes.length ? h("h4", {}, "notes") : undefined,
    ...notes.map((n) => h("p", {}, `${n.kind}: ${n.text}`)),
    failedCalls.length ? h("h4", {}, "failed calls") : undefined,
    ...failedCalls.map((t) => h("p", {}, `#${t.n} ${t.source}→${t.target} ${t.what} ${t.status}`)),
    m.summary ? h("h4", {}, "summary") : undefined,
    m.summary ? h("pre", {}, m.summary) : undefined,
  );
}
