/**
 * Load loops and interleaved comparisons shared by the proxy benchmarks: the same
 * operation over several routes (direct, through a proxy, through a bare hop) in short
 * slices right after one another, the order reversed every round, so drift on a shared
 * machine hits every route alike; medians and per-round ratios.
 */
import { Agent, request } from "node:http";

/** What one slice of load did. */
export interface LoadResult {
  readonly ops: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

/** Rate and latency percentiles of one slice. */
export interface Summary {
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/** Runs `concurrency` loops of `op` for `seconds` (after a 0.5 s warm-up). */
export async function load(op: () => Promise<void>, concurrency: number, seconds: number): Promise<LoadResult> {
  const warmUntil = performance.now() + 500;
  const warm = async (): Promise<void> => {
    while (performance.now() < warmUntil) await op();
  };
  await Promise.all(Array.from({ length: concurrency }, warm));
  const latenciesMs: number[] = [];
  const start = performance.now();
  const end = start + seconds * 1000;
  const loop = async (): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      await op();
      latenciesMs.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { ops: latenciesMs.length, seconds: (performance.now() - start) / 1000, latenciesMs };
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Rate and p50/p99 of one slice. */
export function summarize(result: LoadResult): Summary {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return { rate: result.ops / result.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

/** The median (upper middle for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** A GET of `/items?x=1` on `port` over `agent`, body drained. */
export function httpGet(agent: Agent, port: number): () => Promise<void> {
  return () =>
    new Promise((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/items?x=1", agent }, (res) => {
        res.resume();
        res.on("end", resolve);
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
}

/** Direct, proxied and bare-hop slices of load, interleaved over rounds. */
export interface Comparison {
  readonly direct: Summary[];
  readonly proxied: Summary[];
  /** Through a bare hop (TCP proxy: bytes copied, nothing read): the floor for any proxy. */
  readonly bare: Summary[];
  /** proxied/direct throughput of each round. */
  readonly ratios: number[];
  /** bare/direct throughput of each round. */
  readonly bareRatios: number[];
  /** proxied/bare throughput of each round: what the recording costs over a bare hop. */
  readonly overBare: number[];
  readonly proxiedOps: number;
  /** CPU micros of each sampled process over the proxied slices. */
  readonly cpu: number[];
  readonly bareOps: number;
  /** CPU micros of each sampled process over the bare-hop slices. */
  readonly bareCpu: number[];
}

/** The three routes of a comparison. */
export interface Routes {
  readonly direct: () => Promise<void>;
  readonly proxied: () => Promise<void>;
  readonly bare: () => Promise<void>;
}

/**
 * Runs the routes in turn for `rounds` rounds (order reversed every other round).
 * `cpu` samples the cumulative CPU micros of the processes to charge, around every
 * proxied slice.
 */
export async function compare(
  routes: Routes,
  cpu: () => Promise<number[]>,
  options: { rounds: number; concurrency: number; seconds: number },
): Promise<Comparison> {
  const direct: Summary[] = [];
  const proxied: Summary[] = [];
  const bare: Summary[] = [];
  const ratios: number[] = [];
  const bareRatios: number[] = [];
  const overBare: number[] = [];
  const charged = { proxied: { cpu: [] as number[], ops: 0 }, bare: { cpu: [] as number[], ops: 0 } };
  const run = async (op: () => Promise<void>): Promise<Summary> => summarize(await load(op, options.concurrency, options.seconds));
  const runCharged = async (route: "proxied" | "bare"): Promise<Summary> => {
    const before = await cpu();
    const res = await load(routes[route], options.concurrency, options.seconds);
    const after = await cpu();
    const total = charged[route];
    after.forEach((a, i) => (total.cpu[i] = (total.cpu[i] ?? 0) + a - (before[i] ?? 0)));
    total.ops += res.ops;
    return summarize(res);
  };
  for (let round = 0; round < options.rounds; round++) {
    let d: Summary;
    let p: Summary;
    let b: Summary;
    if (round % 2 === 0) {
      d = await run(routes.direct);
      p = await runCharged("proxied");
      b = await runCharged("bare");
    } else {
      b = await runCharged("bare");
      p = await runCharged("proxied");
      d = await run(routes.direct);
    }
    direct.push(d);
    proxied.push(p);
    bare.push(b);
    ratios.push(p.rate / d.rate);
    bareRatios.push(b.rate / d.rate);
    overBare.push(p.rate / b.rate);
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  const { proxied: recording, bare: hop } = charged;
  return { direct, proxied, bare, ratios, bareRatios, overBare, proxiedOps: recording.ops, cpu: recording.cpu, bareOps: hop.ops, bareCpu: hop.cpu };
}

const fmt = (n: number, digits = 0): string => n.toFixed(digits).padStart(9);

/** `0.93 (rounds 0.88-0.97)` */
export function spread(xs: readonly number[]): string {
  return `${median(xs).toFixed(2)} (rounds ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
}

/** Prints the table of one comparison: rate and latency per route, then the ratios. */
export function printComparison(title: string, unit: string, c: Comparison, names = { proxied: "proxied", bare: "bare hop" }): void {
  const row = (name: string, xs: Summary[]): string =>
    `  ${name.padEnd(9)} ${fmt(median(xs.map((x) => x.rate)))} ${fmt(median(xs.map((x) => x.p50)), 3)} ${fmt(median(xs.map((x) => x.p99)), 3)}`;
  console.log(`\n${title} (medians of ${c.ratios.length} interleaved rounds)`);
  console.log(`  ${"".padEnd(9)} ${`${unit}/s`.padStart(9)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)}`);
  console.log(row("direct", c.direct));
  console.log(row(names.proxied, c.proxied));
  console.log(row(names.bare, c.bare));
  const p50 = median(c.proxied.map((x) => x.p50)) / median(c.direct.map((x) => x.p50));
  const p99 = median(c.proxied.map((x) => x.p99)) / median(c.direct.map((x) => x.p99));
  console.log(`  ${names.proxied}/direct: throughput ${spread(c.ratios)}, p50 ${p50.toFixed(2)}, p99 ${p99.toFixed(2)}`);
  console.log(`  ${names.bare}/direct: throughput ${spread(c.bareRatios)} (bytes copied, nothing read)`);
  console.log(`  ${names.proxied}/${names.bare}: throughput ${spread(c.overBare)} (what recording costs over the hop itself)`);
}
