/**
 * The service graph: services as nodes coloured by phase, edges with call and error
 * counts, laid out by dagre (left to right, callers before callees). Clicking a node
 * shows its endpoints, wiring, command, phase timings and output.
 */
import dagre from "@dagrejs/dagre";
import { duration, h, svg } from "./dom.js";
import type { RunModel, ServiceModel } from "./run-model.js";

const NODE_W = 150;
const NODE_H = 46;

const newGraph = () => new dagre.graphlib.Graph();

/** Models whose graph was too wide left to right. */
const topToBottom = new WeakSet<RunModel>();

/** The services and edges of `model`, laid out by dagre in the given direction. */
function layout(model: RunModel, services: ServiceModel[], rankdir: "LR" | "TB"): ReturnType<typeof newGraph> {
  const g = newGraph();
  g.setGraph({ rankdir, nodesep: 24, ranksep: rankdir === "LR" ? 70 : 40, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of services) g.setNode(s.name, { width: NODE_W, height: NODE_H });
  for (const e of model.edges.values()) {
    if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target, { width: 60, height: 18, labelpos: "c" });
  }
  dagre.layout(g);
  return g;
}

/** Draws the graph of `model` into `root`; `selected` is the clicked node, if any. */
export function renderGraph(root: HTMLElement, model: RunModel, selected: string | undefined, select: (name: string) => void): void {
  const services = model.visibleServices();
  // A long chain laid out left to right is a strip many screens wide: top to bottom it
  // scrolls the way a page does. A graph only grows, so once a model's graph is found too
  // wide, later redraws lay it out top to bottom at once.
  let g = layout(model, services, topToBottom.has(model) ? "TB" : "LR");
  const wide = g.graph();
  if (!topToBottom.has(model) && (wide.width ?? 0) > 2 * Math.max(root.clientWidth, 1000) && (wide.height ?? 0) * 3 < (wide.width ?? 0)) {
    topToBottom.add(model);
    g = layout(model, services, "TB");
  }
  const edges = [...model.edges.values()].filter((e) => g.hasNode(e.source) && g.hasNode(e.target));
  const size = g.graph();
  const width = Math.max(200, (size.width ?? 0) + 10);
  const height = Math.max(80, (size.height ?? 0) + 10);
  const drawing = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, class: "graph" });
  drawing.append(
    svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
      svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))),
  );
  for (const e of edges) {
    const laid = g.edge(e.source, e.target);
    const pts: { x: number; y: number }[] = (laid as { points?: { x: number; y: number }[] }).points ?? [];
    const d = pts.map((p, i) => `${i === 0 ? "M" : "L"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    const edgeEl = svg("g", { class: `edge${e.errors > 0 ? " has-errors" : ""}`, "data-edge": `${e.source}->${e.target}` },
      svg("path", { d, "marker-end": "url(#arrow)" }));
    if (laid.x !== undefined && laid.y !== undefined) {
      edgeEl.append(svg("text", { x: laid.x, y: laid.y + 4, "text-anchor": "middle", class: "edge-label" },
        e.errors > 0 ? `${e.calls} calls, ${e.errors} err` : `${e.calls} calls`));
    }
    drawing.append(edgeEl);
  }
  for (const s of services) {
    const n = g.node(s.name);
    const node = svg("g", { class: `node phase-${s.phase}${s.name === selected ? " selected" : ""}`, "data-service": s.name, transform: `translate(${n.x - NODE_W / 2},${n.y - NODE_H / 2})` },
      svg("rect", { width: NODE_W, height: NODE_H, rx: 6 }),
      svg("text", { x: NODE_W / 2, y: 19, "text-anchor": "middle", class: "node-name" }, s.name === "~test" ? "test" : s.name),
      svg("text", { x: NODE_W / 2, y: 36, "text-anchor": "middle", class: "node-phase" }, `${s.type || "?"} · ${s.phase}`),
    );
    node.addEventListener("click", () => select(s.name));
    drawing.append(node);
  }
  const detail = selected ? model.services.get(selected) : undefined;
  root.replaceChildren(h("div", { class: "graph-wrap" }, drawing), detail ? serviceDetail(detail, model) : h("p", { class: "hint" }, "Click a service for its endpoints, wiring, command, phase timings and output."));
}

function serviceDetail(s: ServiceModel, model: RunModel): HTMLElement {
  const timings = s.marks.map((m, i) => {
    const next = s.marks[i + 1]?.at ?? (model.endedAt ?? model.lastAt);
    return h("tr", {}, h("td", {}, m.phase), h("td", {}, `+${duration(m.at - model.createdAt)}`), h("td", {}, duration(Math.max(0, next - m.at))));
  });
  const out = model.logs.filter((l) => l.service === s.name).slice(-40);
  return h("section", { class: "service-detail", "data-detail": s.name },
    h("h3", {}, `${s.name} `, h("span", { class: `badge phase-${s.phase}` }, s.phase)),
    h("dl", {},
      h("dt", {}, "type"), h("dd", {}, s.type),
      h("dt", {}, "command"), h("dd", {}, s.command || "—"),
      h("dt", {}, "ingresses"), h("dd", {}, Object.entries(s.ingresses).map(([k, v]) => `${k} ${v}`).join(", ") || "—"),
      h("dt", {}, "egresses"), h("dd", {}, Object.entries(s.egresses).map(([k, v]) => `${k} → ${v}`).join(", ") || "—"),
      h("dt", {}, "depends on"), h("dd", {}, s.dependsOn.filter((d) => !d.startsWith("~proxy.")).join(", ") || "—"),
      s.error ? h("dt", {}, "error") : undefined, s.error ? h("dd", { class: "error" }, s.error) : undefined,
    ),
    h("table", { class: "timings" }, h("tr", {}, h("th", {}, "phase"), h("th", {}, "at"), h("th", {}, "for")), ...timings),
    h("pre", { class: "output" }, out.map((l) => `${l.stream === "stderr" ? "! " : "  "}${l.line}`).join("\n") || "(no output)"),
  );
}
