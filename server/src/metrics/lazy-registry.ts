/**
 * rigd's prom-client registry, built when first needed. prom-client (with the
 * OpenTelemetry API and the digest libraries under it) is ~90 modules and 30-45 ms to
 * load, most rigds are never scraped, and a rigd's first answer must not wait for it.
 *
 * Each part of the metrics adds a builder (its prom-client metrics) and gets an `update`
 * function: updates made before the registry is built wait in one queue and are replayed
 * in order once it is, so counters count from rigd's start. The registry is built at the
 * first scrape, or once QUEUE_LIMIT updates wait (a rigd nobody scrapes holds a bounded
 * queue, not one closure per environment forever).
 */
import type * as PromClient from "prom-client";

/** The prom-client module. */
export type Prom = typeof PromClient;
/** Applies `change` to a part's prom-client metrics: now once built, else when they are. */
export type MetricsUpdate<M> = (change: (metrics: M) => void) => void;

/** Updates waiting for prom-client before the registry is built anyway. */
export const QUEUE_LIMIT = 1000;

/** A scrape: the Prometheus text format and its content type. */
export interface Scrape {
  readonly contentType: string;
  readonly text: string;
}

export class LazyRegistry {
  readonly #builders: ((prom: Prom, registry: PromClient.Registry) => void)[] = [];
  #queue: (() => void)[] = [];
  #registry: Promise<PromClient.Registry> | undefined;

  /**
   * Registers the metrics `build` makes (in the registry it is given) once prom-client
   * is loaded; returns how to update them.
   */
  add<M>(build: (prom: Prom, registry: PromClient.Registry) => M): MetricsUpdate<M> {
    if (this.#registry) throw new Error("metrics are added before the registry is built");
    let metrics: M | undefined;
    this.#builders.push((prom, registry) => (metrics = build(prom, registry)));
    return (change) => {
      if (metrics !== undefined) return change(metrics);
      this.#queue.push(() => change(metrics!));
      if (this.#queue.length >= QUEUE_LIMIT) void this.#build().catch(() => {}); // a scrape reports the failure
    };
  }

  /** Every metric in the Prometheus text format (loads prom-client on the first call). */
  async scrape(): Promise<Scrape> {
    const registry = await this.#build();
    return { contentType: registry.contentType, text: await registry.metrics() };
  }

  #build(): Promise<PromClient.Registry> {
    this.#registry ??= import("prom-client").then((prom) => {
      const registry = new prom.Registry();
      // Builders and the replay run in one synchronous stretch: no update slips between them.
      for (const build of this.#builders) build(prom, registry);
      const queue = this.#queue;
      this.#queue = [];
      for (const replay of queue) replay();
      return registry;
    });
    return this.#registry;
  }
}
