/**
 * Proxy component benchmark: the same load direct to a target and through a standalone
 * proxy whose event sink only counts events (nothing is logged, written or streamed), in
 * one run. Prints figures; asserts nothing. These are component figures, an upper bound:
 * what users get, through a real rigd with recording on, is rigd-proxy-bench.ts.
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
import { Agent, createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { DescriptorCache } from "../proxy/descriptor-cache.js";
import { startGrpcProxy } from "../proxy/grpc-proxy.js";
import { startHttpProxy } from "../proxy/http-proxy.js";
import { startTcpProxy } from "../proxy/tcp-proxy.js";
import type { ProxyEvent } from "../proxy/proxy-contract.js";
import { echoClient, startEchoServer } from "../proxy/testdata/echo-grpc.js";
import { compare, httpGet, median, printComparison } from "./load-rounds.js";

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
    console.log("COMPONENT figures: standalone proxies, the event sink only counts (no log, file or stream)");
    console.log("target, proxy and load generator each run in their own process");
    const options = { rounds, concurrency, seconds };

    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const http = await compare(
      { direct: httpGet(agent, httpTarget.port), proxied: httpGet(agent, httpProxy.port), bare: httpGet(agent, httpTcpProxy.port) },
      cpuOf([httpTarget, httpProxy]),
      options,
    );
    agent.destroy();
    printComparison("HTTP GET, keep-alive", "req", http);
    printCpu(http.cpu, http.proxiedOps);

    const direct = echoClient(`127.0.0.1:${grpcTarget.port}`);
    const proxied = echoClient(`127.0.0.1:${grpcProxy.port}`);
    const bare = echoClient(`127.0.0.1:${tcpProxy.port}`);
    const say = (c: typeof direct) => async (): Promise<void> => void (await c.say({ text: "hello", repeat_count: 2, tags: { a: "b" } }));
    const grpc = await compare({ direct: say(direct), proxied: say(proxied), bare: say(bare) }, cpuOf([grpcTarget, grpcProxy]), options);
    direct.close();
    proxied.close();
    bare.close();
    printComparison("gRPC unary (decoded to JSON through reflection)", "call", grpc);
    printCpu(grpc.cpu, grpc.proxiedOps);

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

/** Samples the cumulative CPU micros of role processes. */
function cpuOf(processes: readonly RoleProcess[]): () => Promise<number[]> {
  return async () => (await Promise.all(processes.map((p) => p.stats()))).map((s) => s.cpuMicros);
}

function printCpu([target = 0, proxy = 0]: readonly number[], ops: number): void {
  console.log(
    `  CPU per proxied op: target ${(target / ops).toFixed(0)} µs, proxy ${(proxy / ops).toFixed(0)} µs (proxy/target ${(proxy / target).toFixed(2)})`,
  );
}

const [role, target] = process.argv.slice(2);
if (role && !role.startsWith("--")) await runRole(role as Role, Number(target));
else await main();
