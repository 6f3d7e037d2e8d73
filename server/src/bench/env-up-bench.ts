/**
 * Environment-up benchmark (SPEC §13, issue 2): how long rig takes to bring up and tear
 * down environments of process services, next to doing the same by hand, in one run.
 * Prints figures; asserts nothing.
 *
 *   node server/dist/bench/env-up-bench.js [--runs 15] [--runs-large 7] [--parallel 50] [--rigd path/to/main.js]
 *     [--baseline other/server/dist/main.js]
 *
 * Every service is the chain-server fixture (a tiny Node HTTP server; GET / answers).
 *
 *   - rig: a real rigd child process (testing/rigd-harness). "up" is from the
 *     CreateEnvironment call to `environment.up` arriving on WatchEvents; "down" is the
 *     DestroyEnvironment call until it returns (services stopped, dirs removed).
 *   - by hand: the same processes spawned with child_process.spawn (own process group,
 *     HOST/PORT/NEXT_* env, free ports picked by binding port 0), each polled ready with
 *     HTTP GET / every 2 ms (the floor: ready seen within 2 ms of answering); "down" is
 *     SIGTERM to every group until every child has closed.
 *   - by hand in order (chains only): "down" SIGTERMs each link once the one depending
 *     on it has closed, the reverse dependency order rig guarantees (SPEC §4): a chain's
 *     teardown is its links' exits one after another, whoever does it.
 *   - baseline rig (`--baseline`): another build's rigd, measured in the same rounds, for
 *     before/after figures that drift on a shared machine cannot skew.
 *
 * Shapes: 1, 10 and 50 independent services, and 3 and 10 services in a chain (s0 -> s1 -> ...
 * -> s9, each waits for its egress to be ready) to show the cost of dependency order.
 * Runs of rig and by hand take turns (the order rotating), after one untimed warm-up of
 * each, so drift on a shared machine hits all alike. The median round trip of one
 * ListEnvironments call is printed too: every rig figure contains one or two calls. Then `--parallel` environments of 2 chained services
 * each, created at once against a fresh rigd: wall time until all are up, rigd RSS and
 * CPU, and the memory of all service processes.
 *
 * Everything started here is stopped on the way out, on error and on SIGINT/SIGTERM too.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { eventually, FIXTURES, processesWith, RIGD_MAIN, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const SERVER = join(FIXTURES, "chain-server.js");
const HOST = "127.0.0.1";
const UP_TIMEOUT_MS = 120_000;

/** One environment shape to measure. */
interface Shape {
  readonly label: string;
  readonly services: number;
  /** s0 -> s1 -> ... (each service's egress `next` is the following one). */
  readonly chain: boolean;
  readonly runs: number;
}

/** Up and down times of one run, in ms. */
interface Timing {
  readonly upMs: number;
  readonly downMs: number;
  /** rigd's CPU time over the run (up and down), rig only. */
  readonly rigdCpuMs?: number;
}

// ---------------------------------------------------------------------------------------
// Ownership: everything this process starts, so it can all be stopped on any way out.

const handChildren = new Set<ChildProcess>();
/** The rigd build to measure (`--rigd`, default this build's main.js). */
let rigdMain = RIGD_MAIN;
const rigds = new Set<Rigd>();
/** Markers in the args of rigd-started services, to find and reap leftovers. */
const markers = new Set<string>();
let cleaning: Promise<void> | undefined;
/** Service processes that outlived their owner and had to be killed here. */
let reaped = 0;

/** Stops every hand-spawned group and every rigd; safe to call more than once. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const child of handChildren) signalGroup(child, "SIGKILL");
    handChildren.clear();
    // SIGTERM makes rigd destroy its live environments before it exits.
    await Promise.allSettled([...rigds].map((r) => r.stop()));
    rigds.clear();
    for (const marker of markers) {
      const left = processesWith(marker);
      if (left.length > 0) console.error(`reaping ${left.length} service process(es) left behind: ${left.join(", ")}`);
      reaped += left.length;
      for (const pid of left) killQuietly(pid, "SIGKILL");
    }
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping everything this bench started`);
    void cleanup().finally(() => process.exit(130));
  });
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** Signals a hand-spawned child's whole process group (it was spawned detached). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid !== undefined) killQuietly(-child.pid, signal);
}

// ---------------------------------------------------------------------------------------
// Statistics and /proc figures.

function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function median(values: readonly number[]): number {
  const s = sorted(values);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Nearest-rank percentile (with few runs, p90 is one of the slowest). */
function percentile(values: readonly number[], p: number): number {
  const s = sorted(values);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] ?? 0;
}

/** A field of /proc/<pid>/status (VmRSS, VmHWM) in KiB; 0 when the process is gone. */
function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Proportional set size in KiB: shared pages split among their users, so sums are honest. */
function pssKiB(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU time of all threads of a process in ns (schedstat: exact, where /proc/PID/stat counts 10 ms ticks); 0 when gone. */
function cpuNs(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => {
      try {
        return sum + Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        return sum; // the thread ended
      }
    }, 0);
  } catch {
    return 0;
  }
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

// ---------------------------------------------------------------------------------------
// rig: CreateEnvironment -> environment.up, DestroyEnvironment.

function serviceName(i: number): string {
  return `s${i}`;
}

function rigServices(shape: Pick<Shape, "services" | "chain">, marker: string): ServiceInit[] {
  return Array.from({ length: shape.services }, (_, i) => ({
    name: serviceName(i),
    egresses: shape.chain && i + 1 < shape.services ? [{ name: "next", service: serviceName(i + 1) }] : [],
    config: { case: "process", value: { command: process.execPath, args: [SERVER, marker] } },
  })) as ServiceInit[];
}

/** Creates an environment and resolves with its id and ms until `environment.up`. */
async function rigUp(rigd: Rigd, shape: Pick<Shape, "services" | "chain" | "label">): Promise<{ id: string; upMs: number }> {
  const services = rigServices(shape, rigd.marker);
  const hostEnv = { PATH: process.env["PATH"] ?? "" };
  const started = performance.now();
  const { environmentId: id } = await rigd.client.createEnvironment({
    spec: spec({ name: `bench-${shape.label.replace(/[^a-z0-9]+/g, "-")}`, hostEnv, services }),
  });
  const signal = AbortSignal.timeout(UP_TIMEOUT_MS);
  for await (const res of rigd.client.watchEvents({ environmentId: id, afterSeq: 0n }, { signal })) {
    const event = res.event;
    if (event?.type === "environment.up") return { id, upMs: performance.now() - started };
    if (event?.payload.case === "environmentDown") {
      throw new Error(`environment ${id} (${shape.label}) went down instead of up: ${event.payload.value.summary}`);
    }
  }
  throw new Error(`event stream of ${id} ended before environment.up`);
}

async function rigDown(rigd: Rigd, id: string): Promise<number> {
  const started = performance.now();
  await rigd.client.destroyEnvironment({ environmentId: id });
  return performance.now() - started;
}

async function rigOnce(rigd: Rigd, shape: Shape): Promise<Timing> {
  const pid = rigd.child.pid as number;
  const cpuBefore = cpuNs(pid);
  const { id, upMs } = await rigUp(rigd, shape);
  const downMs = await rigDown(rigd, id);
  const rigdCpuMs = (cpuNs(pid) - cpuBefore) / 1e6;
  // Untimed: the next run must not overlap a straggler of this one.
  await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "rig services to exit");
  return { upMs, downMs, rigdCpuMs };
}

// ---------------------------------------------------------------------------------------
// By hand: spawn, poll ready with the same backoff, SIGTERM.

/** A free loopback port, picked the usual hand-written way: bind port 0, read it, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, HOST);
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, "close");
  return port;
}

/** One hand-spawned service: its child and a promise that settles once it has closed. */
interface HandService {
  readonly child: ChildProcess;
  readonly closed: Promise<void>;
  readonly port: number;
}

function spawnByHand(name: string, port: number, marker: string, next?: HandService): HandService {
  const env: Record<string, string> = { PATH: process.env["PATH"] ?? "", HOST, PORT: String(port), RIG_SERVICE: name };
  if (next) Object.assign(env, { NEXT_HOST: HOST, NEXT_PORT: String(next.port) });
  // Like rig: own process group, output read (and here dropped).
  const child = spawn(process.execPath, [SERVER, marker], { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout?.resume();
  child.stderr?.resume();
  handChildren.add(child);
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  void closed.then(() => handChildren.delete(child));
  return { child, closed, port };
}

/** One GET /; true on any status < 500 (the rule rig's http readiness applies). */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: HOST, port, path: "/", agent: false }, (res) => {
      resolve((res.statusCode ?? 500) < 500);
      res.destroy();
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

/**
 * Polls GET / every 2 ms for up to 30 s: the floor, seeing a service ready within ~2 ms
 * of the moment it answers (SPEC §13).
 */
async function pollReady(service: HandService): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (!(await answers(service.port))) {
    if (service.child.exitCode !== null) throw new Error(`hand-spawned service exited with ${service.child.exitCode}`);
    if (performance.now() > deadline) throw new Error(`hand-spawned service on port ${service.port} not ready after 30s`);
    await sleep(2);
  }
}

/** Starts `shape` by hand and resolves with its services and ms until all answer. */
async function handUp(shape: Pick<Shape, "services" | "chain">, marker: string): Promise<{ services: HandService[]; upMs: number }> {
  const started = performance.now();
  const services: HandService[] = [];
  try {
    if (shape.chain) {
      // Dependency order: the last one first, each started once its egress answers.
      let next: HandService | undefined;
      for (let i = shape.services - 1; i >= 0; i--) {
        const service: HandService = spawnByHand(serviceName(i), await freePort(), marker, next);
        services.push(service);
        await pollReady(service);
        next = service;
      }
    } else {
      const ports = await Promise.all(Array.from({ length: shape.services }, freePort));
      ports.forEach((port, i) => services.push(spawnByHand(serviceName(i), port, marker)));
      await Promise.all(services.map(pollReady));
    }
    return { services, upMs: performance.now() - started };
  } catch (err) {
    await handDown(services);
    throw err;
  }
}

async function handDown(services: readonly HandService[]): Promise<number> {
  const started = performance.now();
  for (const s of services) signalGroup(s.child, "SIGTERM");
  await Promise.all(services.map((s) => s.closed));
  return performance.now() - started;
}

/**
 * The guarantee rig gives a chain (SPEC §4: reverse dependency order), by hand: each
 * service SIGTERMed once the one depending on it has closed. `services` are in start
 * order (the chain's last link first), so the first to stop is the last started.
 */
async function handDownInOrder(services: readonly HandService[]): Promise<number> {
  const started = performance.now();
  for (const s of [...services].reverse()) {
    signalGroup(s.child, "SIGTERM");
    await s.closed;
  }
  return performance.now() - started;
}

async function handOnce(shape: Shape, marker: string, inOrder = false): Promise<Timing> {
  const { services, upMs } = await handUp(shape, marker);
  const downMs = await (inOrder ? handDownInOrder(services) : handDown(services));
  return { upMs, downMs };
}

// ---------------------------------------------------------------------------------------
// The sections.

/** One way of bringing a shape up and down, measured in turn with the others. */
interface Contestant {
  readonly label: string;
  /** Only for chains. */
  readonly chainsOnly?: boolean;
  readonly once: (shape: Shape) => Promise<Timing>;
}

type Results = Map<Shape, Map<Contestant, Timing[]>>;

/** Per shape: every contestant in turn (the order rotating), after an untimed warm-up of each. */
async function latencies(shapes: readonly Shape[], contestants: readonly Contestant[]): Promise<Results> {
  const results: Results = new Map();
  for (const shape of shapes) {
    const playing = contestants.filter((c) => shape.chain || !c.chainsOnly);
    process.stderr.write(`  ${shape.label}: warm-up, then ${shape.runs} runs each `);
    for (const c of playing) await c.once(shape);
    const timings = new Map(playing.map((c) => [c, [] as Timing[]]));
    for (let i = 0; i < shape.runs; i++) {
      // Rotate who goes first so none always runs on a machine another just loaded.
      for (let k = 0; k < playing.length; k++) {
        const c = playing[(i + k) % playing.length] as Contestant;
        timings.get(c)?.push(await c.once(shape));
      }
      process.stderr.write(".");
    }
    process.stderr.write("\n");
    results.set(shape, timings);
  }
  return results;
}

/** Medians and p90 per contestant, and each one's ratio to `floor` (by hand). */
function printLatencyTables(results: Results, contestants: readonly Contestant[], floor: Contestant): void {
  const table = (title: string, pick: (t: Timing) => number, shown: readonly Contestant[]): void => {
    const header = [
      `| services | runs | ${shown.map((c) => `${c.label} median | ${c.label} p90`).join(" | ")} | ${shown.filter((c) => c !== floor).map((c) => `${c.label} / ${floor.label}`).join(" | ")} |`,
      `| --- | ---: | ${shown.map(() => "---: | ---:").join(" | ")} | ${shown.filter((c) => c !== floor).map(() => "---:").join(" | ")} |`,
    ];
    const rows = [...results].map(([shape, timings]) => {
      const cell = (c: Contestant): { median: number; p90: number } | undefined => {
        const values = timings.get(c)?.map(pick);
        return values && values.length > 0 ? { median: median(values), p90: percentile(values, 90) } : undefined;
      };
      const base = cell(floor);
      const figures = shown.map((c) => cell(c)).map((f) => (f ? `${ms(f.median)} | ${ms(f.p90)}` : "- | -"));
      const ratios = shown.filter((c) => c !== floor).map((c) => {
        const f = cell(c);
        return f && base ? `${(f.median / base.median).toFixed(2)}x` : "-";
      });
      return `| ${shape.label} | ${shape.runs} | ${figures.join(" | ")} | ${ratios.join(" | ")} |`;
    });
    console.log(`\n### ${title}\n`);
    console.log([...header, ...rows].join("\n"));
  };
  const all = contestants.filter((c) => !c.chainsOnly);
  table("Environment up: CreateEnvironment -> environment.up (rig) vs spawn + poll ready every 2 ms (by hand)", (t) => t.upMs, all);
  table("Teardown: DestroyEnvironment returns (rig) vs SIGTERM to all until every child closed (by hand)", (t) => t.downMs, all);
  const rigs = all.filter((c) => c !== floor);
  console.log("\n### rigd CPU per environment (up and down, all threads), median\n");
  console.log(`| services | ${rigs.map((c) => c.label).join(" | ")} |`);
  console.log(`| --- | ${rigs.map(() => "---:").join(" | ")} |`);
  for (const [shape, timings] of results) {
    console.log(`| ${shape.label} | ${rigs.map((c) => ms(median(timings.get(c)?.map((t) => t.rigdCpuMs ?? 0) ?? [0]))).join(" | ")} |`);
  }
  const ordered = contestants.filter((c) => c.chainsOnly);
  if (ordered.length > 0) {
    const chains: Results = new Map([...results].filter(([shape]) => shape.chain));
    for (const inOrder of ordered) {
      console.log(
        `\n(${inOrder.label}: each link SIGTERMed once the one depending on it closed, the order rig guarantees; ` +
          "a chain's teardown cannot beat its links' exits one after another)",
      );
      printChainTeardownTable(chains, rigs, inOrder);
    }
  }
}

/** Teardown medians of the chains in `results`, `shown` against `floor` (by hand, in order). */
function printChainTeardownTable(results: Results, shown: readonly Contestant[], floor: Contestant): void {
  const rows = [...results].map(([shape, timings]) => {
    const med = (c: Contestant): number => median(timings.get(c)?.map((t) => t.downMs) ?? [0]);
    const base = med(floor);
    return `| ${shape.label} | ${shape.runs} | ${ms(base)} | ${shown.map((c) => `${ms(med(c))} | ${(med(c) / base).toFixed(2)}x`).join(" | ")} |`;
  });
  console.log(`\n### Teardown of chains against ${floor.label}\n`);
  console.log(`| services | runs | ${floor.label} median | ${shown.map((c) => `${c.label} median | ${c.label} / ${floor.label}`).join(" | ")} |`);
  console.log(`| --- | ---: | ---: | ${shown.map(() => "---: | ---:").join(" | ")} |`);
  console.log(rows.join("\n"));
}

/** Median round trip of ListEnvironments: the floor of any rig figure that makes a call. */
async function callFloorMs(rigd: Rigd): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const started = performance.now();
    await rigd.client.listEnvironments({});
    times.push(performance.now() - started);
  }
  return median(times);
}

/** `count` environments of 2 chained services at once, against a fresh rigd of build `main` (named `label`). */
async function parallel(count: number, handMarker: string, main: string, label: string): Promise<void> {
  const rigd = await startRigd(["--orphan-grace", "60s"], { main });
  rigds.add(rigd);
  markers.add(rigd.marker);
  const pid = rigd.child.pid as number;
  const shape = { label: "pair", services: 2, chain: true } as const;
  process.stderr.write(`  ${count} parallel environments: warm-up, then ${label}, then by hand\n`);
  // One untimed environment so the figures are not about a cold JIT.
  const warm = await rigUp(rigd, shape);
  await rigDown(rigd, warm.id);
  await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "warm-up services to exit");
  const rssIdle = statusKiB(pid, "VmRSS");
  const cpuBefore = cpuNs(pid);

  const started = performance.now();
  const ups = await Promise.all(Array.from({ length: count }, () => rigUp(rigd, shape)));
  const wallMs = performance.now() - started;
  const cpuUp = (cpuNs(pid) - cpuBefore) / 1e6;
  const rssUp = statusKiB(pid, "VmRSS");
  const servicePids = processesWith(rigd.marker);
  const serviceRss = servicePids.reduce((sum, p) => sum + statusKiB(p, "VmRSS"), 0);
  const servicePss = servicePids.reduce((sum, p) => sum + pssKiB(p), 0);

  const downStarted = performance.now();
  await Promise.all(ups.map((u) => rigDown(rigd, u.id)));
  const downWallMs = performance.now() - downStarted;
  await eventually(() => processesWith(rigd.marker).length === 0, 15_000, "parallel services to exit");
  const rssAfter = statusKiB(pid, "VmRSS");
  const rssPeak = statusKiB(pid, "VmHWM");

  // The same 2 * count processes by hand, each pair in dependency order, all pairs at once.
  const handStarted = performance.now();
  const pairs = await Promise.allSettled(Array.from({ length: count }, () => handUp(shape, handMarker)));
  const handWallMs = performance.now() - handStarted;
  const handDownMs = await handDown(pairs.flatMap((p) => (p.status === "fulfilled" ? p.value.services : [])));
  const failed = pairs.find((p): p is PromiseRejectedResult => p.status === "rejected");
  if (failed) throw failed.reason;

  await rigd.stop();
  rigds.delete(rigd);

  const perEnv = ups.map((u) => u.upMs);
  console.log(`\n### ${label}: ${count} environments in parallel (2 chained services each, ${count * 2} processes), ${cpus().length} cores\n`);
  console.log("| figure | value |");
  console.log("| --- | ---: |");
  console.log(`| rig: wall time until all up | ${ms(wallMs)} |`);
  console.log(`| rig: per-environment up, median / p90 / max | ${ms(median(perEnv))} / ${ms(percentile(perEnv, 90))} / ${ms(Math.max(...perEnv))} |`);
  console.log(`| by hand: wall time until all answer | ${ms(handWallMs)} |`);
  console.log(`| rig/by hand (wall time) | ${(wallMs / handWallMs).toFixed(2)}x |`);
  console.log(`| rig: wall time to destroy all | ${ms(downWallMs)} |`);
  console.log(`| by hand: SIGTERM all until closed | ${ms(handDownMs)} |`);
  console.log(`| rigd CPU (all threads) while bringing all up | ${ms(cpuUp)} |`);
  console.log(`| rigd RSS idle (after one warm-up environment) | ${mib(rssIdle)} |`);
  console.log(`| rigd RSS with all ${count} up | ${mib(rssUp)} (+${mib(rssUp - rssIdle)}, ${((rssUp - rssIdle) / count).toFixed(0)} KiB per environment) |`);
  console.log(`| rigd RSS after all destroyed | ${mib(rssAfter)} |`);
  console.log(`| rigd peak RSS (VmHWM) | ${mib(rssPeak)} |`);
  console.log(`| service processes: count | ${servicePids.length} |`);
  console.log(`| service processes: total RSS (shared pages counted in each) | ${mib(serviceRss)} (${mib(serviceRss / Math.max(1, servicePids.length))} each) |`);
  console.log(`| service processes: total PSS (shared pages split) | ${mib(servicePss)} |`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rigd: { type: "string", default: RIGD_MAIN },
      baseline: { type: "string" },
      runs: { type: "string", default: "15" },
      "runs-large": { type: "string", default: "7" },
      parallel: { type: "string", default: "50" },
    },
  });
  const count = (name: string, value: string | undefined): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
    return n;
  };
  rigdMain = values.rigd;
  const runs = count("runs", values.runs);
  const runsLarge = count("runs-large", values["runs-large"]);
  const parallelCount = count("parallel", values.parallel);
  const shapes: Shape[] = [
    { label: "1", services: 1, chain: false, runs },
    { label: "10", services: 10, chain: false, runs },
    { label: "3, chained", services: 3, chain: true, runs },
    { label: "10, chained", services: 10, chain: true, runs },
    { label: "50", services: 50, chain: false, runs: runsLarge },
  ];
  const handMarker = `rig-bench-by-hand-${process.pid}-${Date.now()}`;
  markers.add(handMarker);

  console.log(
    `environment-up benchmark: node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ` +
      `load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`,
  );
  console.log("services: the chain-server fixture (Node HTTP server), ready on GET / < 500; figures in ms");
  try {
    const started = async (main: string): Promise<Rigd> => {
      const rigd = await startRigd(["--orphan-grace", "60s"], { main });
      rigds.add(rigd);
      markers.add(rigd.marker);
      return rigd;
    };
    const rigd = await started(rigdMain);
    const baseline = values.baseline ? await started(values.baseline) : undefined;
    const hand: Contestant = { label: "by hand", once: (shape) => handOnce(shape, handMarker) };
    const contestants: Contestant[] = [
      { label: "rig", once: (shape) => rigOnce(rigd, shape) },
      ...(baseline ? [{ label: "baseline rig", once: (shape: Shape) => rigOnce(baseline, shape) }] : []),
      hand,
      { label: "by hand in order", chainsOnly: true, once: (shape) => handOnce(shape, handMarker, true) },
    ];
    const results = await latencies(shapes, contestants);
    const floors = [`rig ${ms(await callFloorMs(rigd))}`, ...(baseline ? [`baseline rig ${ms(await callFloorMs(baseline))}`] : [])];
    for (const r of [rigd, baseline]) {
      if (!r) continue;
      await r.stop();
      rigds.delete(r);
    }
    printLatencyTables(results, contestants, hand);
    console.log(`\nOne ListEnvironments round trip (median of 200), part of every rig figure: ${floors.join(", ")}`);
    if (values.baseline) await parallel(parallelCount, handMarker, values.baseline, "baseline rig");
    await parallel(parallelCount, handMarker, rigdMain, "rig");
  } finally {
    await cleanup();
  }
  console.log(`\nleft behind after teardown: ${reaped === 0 ? "nothing" : `${reaped} process(es), killed by the bench`}`);
}

await main();
