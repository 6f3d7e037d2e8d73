/**
 * Proxy overhead benchmark (SPEC §13): the same load direct to a target and through
 * the recording proxy, in one run. Prints figures; asserts nothing.
 *
 *   node server/dist/bench/proxy-bench.js [--seconds 2] [--rounds 5] [--concurrency 16]
 *
 * The target and the proxy each run in their own child process (as a service and
 * rigd would), the load generator in this one. Figures: HTTP requests/s and p50/p99
 * latency over keep-alive connections; gRPC unary calls/s and p50/p99; a 100 MiB
 * server-streaming transfer's throughput and time to first message; proxied/direct ratios.
 * Every load also runs through the TCP proxy (bytes copied, nothing parsed or recorded):
 * the floor for any proxy hop on this machine. The stream runs with grpc-js's default
 * 64 KiB flow-control window and with 1 MiB.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Agent, createServer, request } from "node:http";
import { fileURLToPath } from "node:url";
import { DescriptorCache } from "../proxy/descriptor-cache.js";
import { startGrpcProxy } from "../proxy/grpc-proxy.js";
import { startHttpProxy } from "../proxy/http-proxy.js";
import { startTcpProxy } from "../proxy/tcp-proxy.js";
import type { ProxyEvent } from "../proxy/proxy-contract.js";
import { echoClient, startEchoServer } from "../proxy/testdata/echo-grpc.js";

type Role = "http-target" | "grpc-target" | "http-proxy" | "grpc-proxy" | "tcp-proxy";

/** Runs one side of the benchmark in a child process; reports its port to the parent. */
async function runRole(role: Role, targetPort: number): Promise<void> {
  let port: number;
  let events = 0;
  const onEvent = (_event: ProxyEvent): void => void events++;
  const edge = { source: "bench", target: "target", ingress: "default" };
  switch (role) {
    case "http-target": {
      const body = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3] }));
      const server = createServer({ keepAlive: true }, (req, res) => {
        req.resume();
        req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body));
      });
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      port = (server.address() as { port: number }).port;
      break;
    }
    case "grpc-target":
      port = (await startEchoServer()).port;
      break;
    case "http-proxy":
      port = (await startHttpProxy({ listenPort: 0, target: { host: "127.0.0.1", port: targetPort }, edge, onEvent })).port;
      break;
    case "tcp-proxy":
      port = (await startTcpProxy({ listenPort: 0, target: { host: "127.0.0.1", port: targetPort }, edge, onEvent })).port;
      break;
    case "grpc-proxy": {
      const cache = new DescriptorCache();
      const address = `127.0.0.1:${targetPort}`;
      port = (
        await startGrpcProxy({
          listenPort: 0,
          target: { host: "127.0.0.1", port: targetPort },
          edge,
          onEvent,
          describe: (path) => cache.describe("bench", address, path),
        })
      ).port;
      break;
    }
  }
  process.send?.({ port });
  process.on("message", (m) => {
    const { user, system } = process.cpuUsage();
    if (m === "stats") process.send?.({ events, cpuMicros: user + system });
  });
  process.on("disconnect", () => process.exit(0));
}

/** A child process running one role. */
interface RoleProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** Events published so far and CPU time used so far. */
  stats(): Promise<{ events: number; cpuMicros: number }>;
}

/** Forks this module in `role` and waits for its port. */
async function spawnRole(role: Role, targetPort = 0): Promise<RoleProcess> {
  const child = fork(fileURLToPath(import.meta.url), [role, String(targetPort)], { stdio: "inherit" });
  const [message] = (await once(child, "message")) as [{ port: number }];
  return {
    child,
    port: message.port,
    async stats() {
      child.send("stats");
      const [reply] = (await once(child, "message")) as [{ events: number; cpuMicros: number }];
      return reply;
    },
  };
}

/** Runs `run` and returns its result with the CPU microseconds each process spent meanwhile. */
async function measured<T>(processes: readonly RoleProcess[], run: () => Promise<T>): Promise<[T, number[]]> {
  const before = await Promise.all(processes.map((p) => p.stats()));
  const result = await run();
  const after = await Promise.all(processes.map((p) => p.stats()));
  return [result, after.map((a, i) => a.cpuMicros - (before[i]?.cpuMicros ?? 0))];
}

interface LoadResult {
  readonly ops: number;
  readonly seconds: number;
  readonly latenciesMs: number[];
}

/** Runs `concurrency` loops of `op` for `seconds` (after a short warm-up). */
async function load(op: () => Promise<void>, concurrency: number, seconds: number): Promise<LoadResult> {
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

function summarize(result: LoadResult): { rate: number; p50: number; p99: number } {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return { rate: result.ops / result.seconds, p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
}

function httpGet(agent: Agent, port: number): () => Promise<void> {
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

const fmt = (n: number, digits = 0): string => n.toFixed(digits).padStart(9);

type Summary = ReturnType<typeof summarize>;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};

/** Direct, proxied and bare-hop slices of load, interleaved over rounds. */
interface Comparison {
  readonly direct: Summary[];
  readonly proxied: Summary[];
  /** Through the TCP proxy: one hop that only copies bytes, the floor for any proxy. */
  readonly bare: Summary[];
  /** proxied/direct throughput of each round. */
  readonly ratios: number[];
  /** bare/direct throughput of each round. */
  readonly bareRatios: number[];
  /** proxied/bare throughput of each round: what the recording costs over a bare hop. */
  readonly overBare: number[];
  readonly proxiedOps: number;
  /** CPU micros of [target, proxy] over the proxied slices. */
  readonly cpu: number[];
}

/**
 * Slices right after one another, the order reversed every round: on a shared machine the
 * load drifts, and a ratio from long runs minutes apart swings widely.
 */
async function compare(
  routes: { direct: () => Promise<void>; proxied: () => Promise<void>; bare: () => Promise<void> },
  cpuOf: readonly RoleProcess[],
  options: { rounds: number; concurrency: number; seconds: number },
): Promise<Comparison> {
  const result: Comparison = { direct: [], proxied: [], bare: [], ratios: [], bareRatios: [], overBare: [], proxiedOps: 0, cpu: [0, 0] };
  let proxiedOps = 0;
  const run = async (op: () => Promise<void>): Promise<Summary> => summarize(await load(op, options.concurrency, options.seconds));
  const runProxied = async (): Promise<Summary> => {
    const [res, cpu] = await measured(cpuOf, () => load(routes.proxied, options.concurrency, options.seconds));
    proxiedOps += res.ops;
    cpu.forEach((c, i) => (result.cpu[i] = (result.cpu[i] ?? 0) + c));
    return summarize(res);
  };
  for (let round = 0; round < options.rounds; round++) {
    let d: Summary;
    let p: Summary;
    let b: Summary;
    if (round % 2 === 0) {
      d = await run(routes.direct);
      p = await runProxied();
      b = await run(routes.bare);
    } else {
      b = await run(routes.bare);
      p = await runProxied();
      d = await run(routes.direct);
    }
    result.direct.push(d);
    result.proxied.push(p);
    result.bare.push(b);
    result.ratios.push(p.rate / d.rate);
    result.bareRatios.push(b.rate / d.rate);
    result.overBare.push(p.rate / b.rate);
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  return { ...result, proxiedOps };
}

function printComparison(title: string, unit: string, c: Comparison): void {
  const row = (name: string, xs: Summary[]): string =>
    `  ${name.padEnd(9)} ${fmt(median(xs.map((x) => x.rate)))} ${fmt(median(xs.map((x) => x.p50)), 3)} ${fmt(median(xs.map((x) => x.p99)), 3)}`;
  const spread = (xs: number[]): string => `${median(xs).toFixed(2)} (rounds ${Math.min(...xs).toFixed(2)}-${Math.max(...xs).toFixed(2)})`;
  console.log(`\n${title} (medians of ${c.ratios.length} interleaved rounds)`);
  console.log(`  ${"".padEnd(9)} ${`${unit}/s`.padStart(9)} ${"p50 ms".padStart(9)} ${"p99 ms".padStart(9)}`);
  console.log(row("direct", c.direct));
  console.log(row("proxied", c.proxied));
  console.log(row("bare hop", c.bare));
  const p50 = median(c.proxied.map((x) => x.p50)) / median(c.direct.map((x) => x.p50));
  const p99 = median(c.proxied.map((x) => x.p99)) / median(c.direct.map((x) => x.p99));
  console.log(`  proxied/direct: throughput ${spread(c.ratios)}, p50 ${p50.toFixed(2)}, p99 ${p99.toFixed(2)}`);
  console.log(`  bare hop/direct: throughput ${spread(c.bareRatios)} (the TCP proxy: bytes copied, nothing read)`);
  console.log(`  proxied/bare hop: throughput ${spread(c.overBare)} (what recording costs over the hop itself)`);
  printCpu(c.cpu, c.proxiedOps);
}

async function streamTransfer(
  address: string,
  totalBytes: number,
  chunkBytes: number,
  flowControlWindow: number | undefined,
): Promise<{ mibPerSec: number; firstMs: number }> {
  const client = echoClient(address, { flowControlWindow });
  try {
    // Warm the connection (and the proxy's reflection probe) first.
    await client.say({ text: "warm" });
    const start = performance.now();
    let first = 0;
    const received = await client.countStream({ count: Math.ceil(totalBytes / chunkBytes), pad_bytes: chunkBytes }, () => {
      first = performance.now() - start;
    });
    const seconds = (performance.now() - start) / 1000;
    return { mibPerSec: received / (1024 * 1024) / seconds, firstMs: first };
  } finally {
    client.close();
  }
}

/**
 * The 100 MiB stream direct, through the gRPC proxy and through the TCP proxy, `rounds`
 * times in turn; prints medians and ratios to direct.
 */
async function compareStreams(ports: { direct: number; grpc: number; tcp: number }, window: number | undefined, rounds: number): Promise<void> {
  const total = 100 * 1024 * 1024;
  const chunk = 256 * 1024;
  const routes = [
    ["direct", ports.direct],
    ["gRPC proxy", ports.grpc],
    ["TCP proxy", ports.tcp],
  ] as const;
  const results = new Map<string, { mibPerSec: number; firstMs: number }[]>(routes.map(([name]) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, port] of routes) results.get(name)?.push(await streamTransfer(`127.0.0.1:${port}`, total, chunk, window));
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  const rate = (name: string): number => median((results.get(name) ?? []).map((r) => r.mibPerSec));
  const windowName = window ? `${window / 1024} KiB` : "64 KiB (grpc-js default)";
  console.log(`\ngRPC server streaming, 100 MiB in ${chunk / 1024} KiB messages, client window ${windowName} (medians of ${rounds})`);
  for (const [name] of routes) {
    const first = median((results.get(name) ?? []).map((r) => r.firstMs));
    const ratio = name === "direct" ? "" : `, ${(rate(name) / rate("direct")).toFixed(2)} of direct`;
    console.log(`  ${name.padEnd(11)} ${rate(name).toFixed(0).padStart(5)} MiB/s, first message after ${first.toFixed(2)} ms${ratio}`);
  }
  console.log(`  gRPC proxy / TCP proxy: ${(rate("gRPC proxy") / rate("TCP proxy")).toFixed(2)} (what reading the calls costs over a bare hop)`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const option = (name: string, fallback: number): number => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const seconds = option("seconds", 2);
  const rounds = option("rounds", 5);
  const concurrency = option("concurrency", 16);
  const children: ChildProcess[] = [];
  try {
    const httpTarget = await spawnRole("http-target");
    const grpcTarget = await spawnRole("grpc-target");
    const httpProxy = await spawnRole("http-proxy", httpTarget.port);
    const grpcProxy = await spawnRole("grpc-proxy", grpcTarget.port);
    const tcpProxy = await spawnRole("tcp-proxy", grpcTarget.port);
    const httpTcpProxy = await spawnRole("tcp-proxy", httpTarget.port);
    children.push(httpTarget.child, grpcTarget.child, httpProxy.child, grpcProxy.child, tcpProxy.child, httpTcpProxy.child);
    console.log(`proxy benchmark: ${rounds} rounds of ${seconds} s slices, concurrency ${concurrency}, node ${process.version}`);
    console.log("target, proxy and load generator each run in their own process");
    const options = { rounds, concurrency, seconds };

    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const http = await compare(
      { direct: httpGet(agent, httpTarget.port), proxied: httpGet(agent, httpProxy.port), bare: httpGet(agent, httpTcpProxy.port) },
      [httpTarget, httpProxy],
      options,
    );
    agent.destroy();
    printComparison("HTTP GET, keep-alive", "req", http);

    const direct = echoClient(`127.0.0.1:${grpcTarget.port}`);
    const proxied = echoClient(`127.0.0.1:${grpcProxy.port}`);
    const bare = echoClient(`127.0.0.1:${tcpProxy.port}`);
    const say = (c: typeof direct) => async (): Promise<void> => void (await c.say({ text: "hello", repeat_count: 2, tags: { a: "b" } }));
    const grpc = await compare({ direct: say(direct), proxied: say(proxied), bare: say(bare) }, [grpcTarget, grpcProxy], options);
    direct.close();
    proxied.close();
    bare.close();
    printComparison("gRPC unary (decoded to JSON through reflection)", "call", grpc);

    const streamPorts = { direct: grpcTarget.port, grpc: grpcProxy.port, tcp: tcpProxy.port };
    await compareStreams(streamPorts, undefined, 3);
    await compareStreams(streamPorts, 1024 * 1024, 3);

    const [httpStats, grpcStats] = await Promise.all([httpProxy.stats(), grpcProxy.stats()]);
    console.log(`\nevents published: HTTP proxy ${httpStats.events}, gRPC proxy ${grpcStats.events}`);
  } finally {
    // Disconnecting lets each child exit on its own (and flush a --cpu-prof profile).
    for (const child of children) child.disconnect();
  }
}

function printCpu([target = 0, proxy = 0]: readonly number[], ops: number): void {
  console.log(
    `  CPU per proxied op: target ${(target / ops).toFixed(0)} µs, proxy ${(proxy / ops).toFixed(0)} µs (proxy/target ${(proxy / target).toFixed(2)})`,
  );
}

const [role, target] = process.argv.slice(2);
if (role && !role.startsWith("--")) await runRole(role as Role, Number(target));
else await main();
