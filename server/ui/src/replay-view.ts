/**
 * Replay of a recorded run: a scrubber over its events (the graph, timeline, traffic and
 * logs show the state at the chosen moment) and play at 1x-10x of the recorded pace.
 * Moving forward applies only the new events; moving back rebuilds from the start. Events
 * arrive in pages while the run loads (append); the view follows the end until the user
 * scrubs, so a big run is drawn as it loads.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event } from "../../src/gen/rig/v1/event_pb.js";
import { clock, duration, h } from "./dom.js";
import { EnvView } from "./env-view.js";
import { RunModel } from "./run-model.js";

/** The replay page of one recorded run. */
export class ReplayView {
  readonly element: HTMLElement;
  readonly view: EnvView;
  private readonly slider: HTMLInputElement;
  private readonly speed = h("select", { name: "speed" }, ...[1, 2, 5, 10].map((s) => h("option", { value: s }, `${s}x`)));
  private readonly play = h("button", { name: "play" }, "▶ play");
  private readonly position = h("span", { class: "position" });
  private readonly times: number[] = [];
  private readonly events: Event[] = [];
  private index = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Still receiving pages of events. */
  private loading = true;
  /** The user scrubbed or played: new pages no longer move the view to the end. */
  private detached = false;

  constructor(title: string) {
    this.slider = h("input", { type: "range", min: 0, max: 0, value: 0, name: "scrub", class: "scrub" });
    this.slider.addEventListener("input", () => { this.detached = true; this.pause(); this.seek(Number(this.slider.value)); });
    this.play.addEventListener("click", () => (this.timer ? this.pause() : this.start()));
    const bar = h("div", { class: "replay-bar" }, h("a", { href: "#/" }, "← environments"), ` replay of ${title} `, this.play, this.speed, this.slider, this.position);
    this.view = new EnvView(new RunModel(), bar);
    this.element = this.view.element;
    this.seek(0);
  }

  /** One more page of the run's events (in order). */
  append(page: readonly Event[]): void {
    for (const e of page) {
      this.events.push(e);
      this.times.push(e.time ? timestampMs(e.time) : 0);
    }
    this.slider.max = String(this.events.length);
    if (this.detached) this.seek(this.index);
    else this.seek(this.events.length);
  }

  /** Every event has arrived. */
  loaded(): void {
    this.loading = false;
    this.seek(this.index);
  }

  /** Shows the state after the first `n` events. */
  seek(n: number): void {
    n = Math.max(0, Math.min(this.events.length, n));
    if (n < this.index) {
      this.view.model = new RunModel();
      this.index = 0;
    }
    for (; this.index < n; this.index++) this.view.model.apply(this.events[this.index]!);
    this.slider.value = String(n);
    const t = this.times[n - 1];
    const t0 = this.times[0] ?? 0;
    this.position.textContent = ` event ${n}/${this.events.length}${this.loading ? " (loading…)" : ""}${t ? ` · ${clock(t)} (+${duration(t - t0)})` : ""}`;
    this.position.dataset["index"] = String(n);
    this.position.dataset["loaded"] = String(!this.loading);
    this.view.changed();
  }

  private start(): void {
    this.detached = true;
    if (this.index >= this.events.length) this.seek(0);
    const speed = Number(this.speed.value) || 1;
    let clockAt = this.times[this.index] ?? 0;
    let last = performance.now();
    this.play.textContent = "❚❚ pause";
    this.timer = setInterval(() => {
      const now = performance.now();
      clockAt += (now - last) * speed;
      last = now;
      let n = this.index;
      while (n < this.events.length && (this.times[n] ?? 0) <= clockAt) n++;
      // Never sit still across a long quiet gap for more than a second of wall time.
      if (n === this.index && (this.times[n] ?? 0) - clockAt > 1000 * speed) clockAt = this.times[n] ?? clockAt;
      this.seek(n);
      if (n >= this.events.length) this.pause();
    }, 50);
  }

  private pause(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.play.textContent = "▶ play";
  }

  /** Stops playing (the page moved on). */
  stop(): void {
    this.pause();
  }
}
