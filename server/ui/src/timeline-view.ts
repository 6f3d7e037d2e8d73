/**
 * The timeline: a Gantt-like row per service (waiting, starting, healthy, ready,
 * stopping as coloured bars), and markers for environment.up, hooks, callbacks, test
 * notes, stalls and the failure.
 */
import { duration, h } from "./dom.js";
import type { RunModel } from "./run-model.js";

/** Draws the timeline of `model` into `root`. */
export function renderTimeline(root: HTMLElement, model: RunModel): void {
  const start = model.createdAt;
  const end = Math.max(model.endedAt ?? model.lastAt, start + 1);
  const span = end - start;
  const pct = (t: number): string => `${(((t - start) / span) * 100).toFixed(2)}%`;
  const rows = model.visibleServices().map((s) => {
    const bars = [h("div", { class: "bar phase-pending", style: `left:0;width:${pct(s.marks[0]?.at ?? end)}`, title: "waiting" })];
    s.marks.forEach((m, i) => {
      const until = s.marks[i + 1]?.at ?? end;
      bars.push(h("div", { class: `bar phase-${m.phase}`, style: `left:${pct(m.at)};width:calc(${pct(until)} - ${pct(m.at)})`, title: `${m.phase} at +${duration(m.at - start)}` }));
    });
    return h("div", { class: "tl-row", "data-service": s.name }, h("div", { class: "tl-name" }, s.name), h("div", { class: "tl-track" }, ...bars));
  });
  const markers = model.markers.map((m) =>
    h("div", { class: `tl-marker kind-${m.kind}`, style: `left:${pct(m.at)}`, title: `${m.kind} +${duration(m.at - start)} ${m.service} ${m.text}` }),
  );
  const legend = model.markers.map((m) =>
    h("li", { class: `kind-${m.kind}` }, `+${duration(m.at - start)} `, h("b", {}, m.kind), m.service ? ` ${m.service}` : "", ` ${m.text}`),
  );
  root.replaceChildren(
    h("div", { class: "timeline" }, ...rows, h("div", { class: "tl-row" }, h("div", { class: "tl-name" }, "events"), h("div", { class: "tl-track markers" }, ...markers))),
    h("div", { class: "tl-scale" }, `0 — ${duration(span)}`),
    h("ul", { class: "tl-legend" }, ...legend),
  );
}
