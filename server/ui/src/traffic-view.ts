/**
 * The traffic table (HTTP, gRPC, TCP), with the CLI's filters (`edge`, status, slow,
 * kind, text) and a detail pane: headers and pretty-printed decoded bodies, and each
 * gRPC message of a stream one by one.
 */
import { clock, duration, h } from "./dom.js";
import { bodyText, headerLines, prettyJson, type RunModel, type TrafficEntry } from "./run-model.js";
import { VirtualList } from "./virtual-list.js";

/** The traffic tab of one environment. */
export class TrafficView {
  readonly element: HTMLElement;
  private readonly edge = h("input", { placeholder: "edge: api->db", name: "edge", size: 14 });
  private readonly status = h("input", { placeholder: "status: 5xx, 404, error", name: "status", size: 14 });
  private readonly slow = h("input", { placeholder: "slower than ms", name: "slow", size: 10, type: "number" });
  private readonly kind = h("select", { name: "kind" }, h("option", { value: "" }, "all"), h("option", { value: "http" }, "HTTP"), h("option", { value: "grpc" }, "gRPC"), h("option", { value: "tcp" }, "TCP"));
  private readonly text = h("input", { placeholder: "text", name: "text", size: 14 });
  private readonly dropped = h("p", { class: "hint dropped" });
  private readonly detail = h("section", { class: "traffic-detail" }, h("p", { class: "hint" }, "Click a row for headers and bodies."));
  private readonly list: VirtualList;
  private shown: TrafficEntry[] = [];
  private model: RunModel | undefined;
  private selected: number | undefined;

  constructor() {
    this.list = new VirtualList((i) => this.row(i), "traffic-rows");
    const refilter = (): void => this.model && this.update(this.model);
    for (const input of [this.edge, this.status, this.slow, this.text, this.kind]) input.addEventListener("input", refilter);
    this.element = h("div", { class: "traffic" },
      h("div", { class: "filters" }, this.edge, this.status, this.slow, this.kind, this.text),
      this.dropped,
      h("div", { class: "traffic-split" }, h("div", {}, h("div", { class: "traffic-head row" }, h("span", { class: "c-n" }, "#"), h("span", { class: "c-time" }, "time"), h("span", { class: "c-edge" }, "edge"), h("span", { class: "c-what" }, "call"), h("span", { class: "c-status" }, "status"), h("span", { class: "c-lat" }, "latency")), this.list.element), this.detail),
    );
  }

  /** Re-filters and redraws after new events. */
  update(model: RunModel): void {
    this.model = model;
    const edge = this.edge.value.replace(/\s/g, "");
    const status = this.status.value.trim().toLowerCase();
    const slow = Number(this.slow.value) || 0;
    const kind = this.kind.value;
    const text = this.text.value.trim().toLowerCase();
    this.shown = model.traffic.filter((t) =>
      (!edge || `${t.source}->${t.target}`.includes(edge)) &&
      (!status || statusMatches(t, status)) &&
      t.latencyMs >= slow &&
      (!kind || t.kind === kind) &&
      (!text || `${t.what} ${t.source} ${t.target} ${t.status}`.toLowerCase().includes(text)),
    );
    this.list.update(this.shown.length);
    this.dropped.textContent = model.droppedTraffic
      ? `the ${model.droppedTraffic} oldest calls are not kept in this page (rig traffic ${model.id} lists every one)`
      : "";
    if (this.selected === undefined) return;
    const entry = model.trafficEntry(this.selected);
    if (entry && !this.detail.dataset["n"]) this.showDetail(entry);
  }

  private row(i: number): HTMLElement {
    const t = this.shown[i]!;
    return h("div", { class: `row${t.failed ? " failed" : ""}${t.n === this.selected ? " selected" : ""}`, "data-n": t.n, onclick: () => this.showDetail(t) },
      h("span", { class: "c-n" }, String(t.n)), h("span", { class: "c-time" }, clock(t.at)),
      h("span", { class: "c-edge" }, `${t.source}→${t.target}`), h("span", { class: "c-what" }, t.what),
      h("span", { class: "c-status" }, t.status), h("span", { class: "c-lat" }, duration(t.latencyMs)));
  }

  private showDetail(t: TrafficEntry): void {
    this.selected = t.n;
    this.detail.dataset["n"] = String(t.n);
    const p = t.event.payload;
    const parts: (HTMLElement | string)[] = [h("h3", {}, `#${t.n} ${t.what} → ${t.status}`), h("p", {}, `${t.source} → ${t.target}.${t.ingress} · ${duration(t.latencyMs)} · ${clock(t.at)}`)];
    if (p.case === "requestCompleted") {
      const r = p.value;
      if (r.error) parts.push(h("p", { class: "error" }, r.error));
      parts.push(h("h4", {}, "request headers"), h("pre", {}, headerLines(r.requestHeaders)),
        h("h4", {}, `request body (${r.requestSize} bytes)`), h("pre", { class: "body request-body" }, bodyText(r.requestBody, r.requestBodyTruncated)),
        h("h4", {}, "response headers"), h("pre", {}, headerLines(r.responseHeaders)),
        h("h4", {}, `response body (${r.responseSize} bytes)`), h("pre", { class: "body response-body" }, bodyText(r.responseBody, r.responseBodyTruncated)));
    } else if (p.case === "grpcCallCompleted") {
      const g = p.value;
      if (g.statusMessage) parts.push(h("p", { class: "error" }, g.statusMessage));
      if (g.decodeError) parts.push(h("p", { class: "hint" }, `not decoded: ${g.decodeError}`));
      parts.push(h("h4", {}, "request metadata"), h("pre", {}, headerLines(g.requestMetadata)));
      g.requestJson.forEach((m, i) => parts.push(h("h4", {}, `request message ${i + 1} of ${g.requestMessages}`), h("pre", { class: "body request-body" }, prettyJson(m))));
      parts.push(h("h4", {}, "response metadata"), h("pre", {}, headerLines(g.responseMetadata)));
      g.responseJson.forEach((m, i) => parts.push(h("h4", {}, `response message ${i + 1} of ${g.responseMessages}`), h("pre", { class: "body response-body" }, prettyJson(m))));
    } else if (p.case === "connectionClosed") {
      const c = p.value;
      parts.push(h("pre", {}, `connection ${c.connectionId}\nsent ${c.bytesSent} bytes, received ${c.bytesReceived} bytes${c.error ? `\nerror: ${c.error}` : ""}`));
    }
    this.detail.replaceChildren(...parts);
    this.list.update(this.shown.length);
  }
}

function statusMatches(t: TrafficEntry, want: string): boolean {
  if (want === "error") return t.failed;
  if (/^\dxx$/.test(want)) return t.status.startsWith(want[0]!);
  return t.status.toLowerCase() === want;
}
