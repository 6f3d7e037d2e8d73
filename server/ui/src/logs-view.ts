/**
 * Every service's output interleaved, filterable by service, stream and text, following
 * the end while scrolled to the bottom.
 */
import { clock, h } from "./dom.js";
import type { LogLine, RunModel } from "./run-model.js";
import { VirtualList } from "./virtual-list.js";

/** The logs tab of one environment. */
export class LogsView {
  readonly element: HTMLElement;
  private readonly service = h("select", { name: "service" }, h("option", { value: "" }, "every service"));
  private readonly stream = h("select", { name: "stream" }, h("option", { value: "" }, "stdout+stderr"), h("option", { value: "stdout" }, "stdout"), h("option", { value: "stderr" }, "stderr"));
  private readonly text = h("input", { placeholder: "text", name: "text" });
  private readonly list: VirtualList;
  private readonly dropped = h("p", { class: "hint dropped" });
  private shown: LogLine[] = [];
  private model: RunModel | undefined;

  constructor() {
    this.list = new VirtualList((i) => this.row(i), "log-rows");
    for (const input of [this.service, this.stream, this.text]) input.addEventListener("input", () => this.model && this.update(this.model));
    this.element = h("div", { class: "logs" }, h("div", { class: "filters" }, this.service, this.stream, this.text), this.dropped, this.list.element);
  }

  /** Re-filters and redraws after new events. */
  update(model: RunModel): void {
    this.model = model;
    const known = new Set([...this.service.options].map((o) => o.value));
    for (const s of model.visibleServices()) if (!known.has(s.name)) this.service.append(h("option", { value: s.name }, s.name));
    const service = this.service.value;
    const stream = this.stream.value;
    const text = this.text.value.toLowerCase();
    this.shown = model.logs.filter((l) => (!service || l.service === service) && (!stream || l.stream === stream) && (!text || l.line.toLowerCase().includes(text)));
    this.list.update(this.shown.length);
    this.dropped.textContent = model.droppedLogs
      ? `the ${model.droppedLogs} oldest lines are not kept in this page (rig logs ${model.id} shows every one)`
      : "";
  }

  private row(i: number): HTMLElement {
    const l = this.shown[i]!;
    return h("div", { class: `row ${l.stream}` }, h("span", { class: "c-time" }, clock(l.at)), h("span", { class: "c-svc" }, l.service), h("span", { class: "c-line" }, l.line));
  }
}
