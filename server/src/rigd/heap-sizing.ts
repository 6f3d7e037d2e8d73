/**
 * How far V8 lets rigd's old generation grow past its live objects. By default V8 sets the
 * next full-GC threshold at up to 4x what survived the last one when collecting is cheap,
 * which it is for rigd managing environments (~30 MiB live): over 1,000 environment
 * lifetimes the old space went from 45 to 95 MiB committed, and RSS with it (+52%), while
 * the live heap stayed flat (rigd-memory-bench). Bounding the factor to 1.5 keeps RSS flat
 * there at no measurable CPU cost, but under heavy proxy traffic, where recorded events
 * were promoted, it made full GCs several times more frequent: +12-25% rigd CPU per
 * proxied request (rigd-proxy-bench). So the bound holds while little is promoted, and V8
 * sizes the heap for throughput while much is (bench/README.md has the figures). Since
 * pretenuring is off (stopPretenuring, below), proxy load promotes little but the first
 * `trafficInMemory` bytes of each environment, so the bound mostly holds.
 *
 * Set at run time through `--heap-growing-percent`, which V8 reads at every full GC; a
 * value given to node (command line or NODE_OPTIONS) wins and this does nothing. The
 * young generation cannot be sized at run time (V8 fixes its maximum when the isolate
 * starts).
 */
import { constants, PerformanceObserver } from "node:perf_hooks";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";

/** While little is promoted, the old generation grows to 1 + this/100 times what survived the last full GC. */
export const BOUNDED_GROWING_PERCENT = 50;
/** V8's own dynamic factor (the flag's default). */
export const DYNAMIC_GROWING_PERCENT = 0;
/**
 * Promotion into the old generation above which rigd counts as busy; it is calm again
 * below half of it. Measured here: environments up and down back to back ~3 MiB/s, 16
 * clients of the recording proxies 8-10 MiB/s.
 */
export const BUSY_PROMOTION_BYTES_PER_S = 6 * 1024 * 1024;
/** Promotion is measured over windows this long. */
export const WINDOW_MS = 10_000;

const FLAG = "--heap-growing-percent";

/**
 * Decides the growing percent from the old generation's size sampled after GCs: bounded
 * until a window promotes more than BUSY_PROMOTION_BYTES_PER_S, V8's own after that, until
 * a window promotes less than half of it.
 */
export class HeapGrowthPolicy {
  percent = BOUNDED_GROWING_PERCENT;
  #last: { atMs: number; oldBytes: number } | undefined;
  #promoted = 0;
  #elapsedMs = 0;

  /**
   * One sample: the old generation's used bytes at `atMs`, `major` when a full GC ran since
   * the last sample (the drop to what survived is no promotion, so that interval is left out).
   * Returns the percent to apply.
   */
  sample(atMs: number, oldBytes: number, major: boolean): number {
    if (this.#last && !major) {
      this.#promoted += Math.max(0, oldBytes - this.#last.oldBytes);
      this.#elapsedMs += atMs - this.#last.atMs;
    }
    this.#last = { atMs, oldBytes };
    if (this.#elapsedMs >= WINDOW_MS) {
      const perSecond = this.#promoted / (this.#elapsedMs / 1000);
      if (perSecond > BUSY_PROMOTION_BYTES_PER_S) this.percent = DYNAMIC_GROWING_PERCENT;
      else if (perSecond < BUSY_PROMOTION_BYTES_PER_S / 2) this.percent = BOUNDED_GROWING_PERCENT;
      this.#promoted = 0;
      this.#elapsedMs = 0;
    }
    return this.percent;
  }
}

/** Whether node was given a flag matching `flag` on its command line or in NODE_OPTIONS. */
function flagGiven(flag: RegExp, execArgv: readonly string[], nodeOptions: string): boolean {
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => flag.test(arg));
}

/** Whether node was given a growing percent of its own. */
export function growthGiven(execArgv: readonly string[], nodeOptions: string): boolean {
  return flagGiven(/^--heap[-_]growing[-_]percent(=|$)/, execArgv, nodeOptions);
}

/** Whether node was told what to do about allocation-site pretenuring. */
export function pretenuringGiven(execArgv: readonly string[], nodeOptions: string): boolean {
  return flagGiven(/^--(no-)?allocation[-_]site[-_]pretenuring$/, execArgv, nodeOptions);
}

/**
 * Turns off V8's allocation-site pretenuring, unless node was given a choice of its own.
 * V8 allocates an object directly in the old generation once most objects from the same
 * site survived their first scavenges. In rigd that decision is made early and wrongly:
 * the first `trafficInMemory` bytes of an environment's traffic events stay in memory,
 * so the sites that build events (and request heads, headers, captured bodies) are
 * pretenured, and from then on every proxied request's short-lived objects land in the
 * old generation, where only full GCs reclaim them. Measured through rigd-proxy-bench:
 * ~6 MiB promoted per scavenge and a full GC every 0.5 s under 16 HTTP clients, rigd CPU
 * per recorded request 42 µs; without pretenuring nothing is promoted, scavenges take a
 * third of the time and the figure is 35 µs. V8 reads the flag at each GC, so setting it
 * at run time is enough.
 */
export function stopPretenuring(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ""): void {
  if (!pretenuringGiven(execArgv, nodeOptions)) setFlagsFromString("--no-allocation-site-pretenuring");
}

/** Applies the policy after every GC, unless node was given a growing percent. */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ""): void {
  if (growthGiven(execArgv, nodeOptions)) return;
  const policy = new HeapGrowthPolicy();
  let applied = policy.percent;
  setFlagsFromString(`${FLAG}=${applied}`);
  new PerformanceObserver((list) => {
    const major = list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
    const percent = policy.sample(performance.now(), oldGenerationBytes(), major);
    if (percent !== applied) setFlagsFromString(`${FLAG}=${(applied = percent)}`);
  }).observe({ entryTypes: ["gc"] });
}

function oldGenerationBytes(): number {
  return getHeapSpaceStatistics()
    .filter((space) => !space.space_name.startsWith("new_"))
    .reduce((sum, space) => sum + space.space_used_size, 0);
}
