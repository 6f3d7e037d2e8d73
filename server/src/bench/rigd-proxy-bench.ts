/**
 * Proxy overhead as users get it (SPEC §13): load through the recording proxies inside a
 * real rigd, against the same load direct and through a bare TCP hop of the same rigd,
 * in one run; plus rigd's cold start. Prints figures; asserts nothing.
 *
 *   node server/dist/bench/rigd-proxy-bench.js [--seconds 2] [--rounds 5] [--concurrency 16]
 *     [--cold-runs 10] [--only http|grpc|none] [--rigd path/to/main.js] [--cold-baseline other/main.js]...
 *   `--only none` runs the cold start alone; `--cold-baseline` (repeatable) times other
 *   builds' rigds in the same rounds (e.g. main's, to measure a change).
 *   RIGD_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the rigd under load;
 *   RIGD_STDOUT=file keeps what rigd prints (RIGD_NODE_ARGS="--trace-gc-nvp": its GCs).
 *
 * One rigd (`--rigd`, default this build's main.js; point it at another build to compare
 * versions the same way) runs one environment with `observe: true` made through the API:
 *
 *   web       process service, `http` ingress: a keep-alive HTTP server (http-target-main)
 *   web-raw   the same server, `tcp` ingress
 *   echo      process service, `grpc` ingress: the gRPC echo server with reflection
 *   echo-raw  the same server, `tcp` ingress
 *
 * The bench is the test node: its endpoints from `environment.up` are rigd's proxies, so
 * "proxied" goes through the HTTP / gRPC recording proxy (request.completed and
 * grpc.call.completed recorded, written to events.jsonl and rig.log, the bench following
 * WatchEvents all along as the SDKs do: lifecycle only, `exclude_traffic`; the events
 * recorded are counted from events.jsonl at the end), "bare hop" through rigd's TCP proxy to the
 * `-raw` twin (bytes copied, connection events only), "direct" to the real port from
 * GetEnvironment. Slices of each alternate, the order reversed every round.
 *
 * Cold start: `--cold-runs` fresh rigds, each timed from spawn to the answer of its first
 * ListEnvironments call (the address taken from its "serving on" line), twice over,
 * interleaved: first-ever starts (an empty V8 compile cache of their own, as on a new
 * machine or after an upgrade) and warm ones (a cache an earlier rigd filled, as every
 * later start on a machine gets).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { echoClient } from "../proxy/testdata/echo-grpc.js";
import { freshBundle } from "../rigd/bundle-choice.js";
import { RIGD_NODE_FLAGS } from "../rigd/node-flags.js";
import { bearer, spec } from "../testing/rigd-harness.js";
import { compare, type Comparison, httpGet, median, printComparison } from "./load-rounds.js";

const dist = fileURLToPath(new URL("../", import.meta.url));

interface StartedRigd {
  readonly child: ChildProcess;
  readonly rigDir: string;
  readonly client: Client<typeof EnvironmentService>;
  /** Spawn to the answer of the first ListEnvironments, ms. */
  readonly coldStartMs: number;
  stop(): Promise<void>;
}

const started = new Set<StartedRigd>();

/** Spawns rigd, waits for "serving on", answers one ListEnvironments. */
async function startRigd(main: string, env: NodeJS.ProcessEnv = process.env): Promise<StartedRigd> {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-bench-"));
  const t0 = performance.now();
  // RIGD_NODE_ARGS: node flags for rigd only, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof".
  const nodeArgs = process.env.RIGD_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? [];
  const child = spawn(process.execPath, [...RIGD_NODE_FLAGS, ...nodeArgs, main, "--rig-dir", rigDir, "--listen", "127.0.0.1:0", "--idle", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
    env,
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(rigDir, { recursive: true, force: true });
  };
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        // RIGD_STDOUT: a file for all rigd prints, e.g. with RIGD_NODE_ARGS="--trace-gc-nvp".
        if (process.env.RIGD_STDOUT) appendFileSync(process.env.RIGD_STDOUT, chunk);
        if (out.length > 64 * 1024) return; // served long ago (or never will): stop keeping what it prints
        out += chunk.toString();
        const match = /serving on (\S+)/.exec(out);
        if (match) resolve(match[1] as string);
      });
      child.once("exit", (code) => reject(new Error(`rigd exited with ${code} before serving: ${out}`)));
    });
    // The token is written beside the addr file before "serving on" is printed.
    const tokenFile = readdirSync(rigDir).find((f) => f.endsWith(".token"));
    const token = tokenFile ? readFileSync(join(rigDir, tokenFile), "utf8").trim() : "";
    const client = createClient(
      EnvironmentService,
      createGrpcTransport({ baseUrl: `http://${address}`, interceptors: token ? [bearer(token)] : [] }),
    );
    await client.listEnvironments({});
    const rigd: StartedRigd = { child, rigDir, client, coldStartMs: performance.now() - t0, stop };
    started.add(rigd);
    return rigd;
  } catch (err) {
    await stop();
    throw err;
  }
}

/** User + system CPU micros of a process (Linux clock ticks, 100 Hz). */
function cpuMicros(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

function rssKiB(pid: number | undefined): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function service(name: string, script: string, protocol: Protocol) {
  return {
    name,
    ingresses: [{ name: "default", protocol }],
    config: { case: "process" as const, value: { command: process.execPath, args: [script] } },
  };
}

/** A rigd to time from spawn: its main.js, and environment of its own (RIG_RIGD_MODULES). */
interface ColdBuild {
  readonly main: string;
  readonly env?: NodeJS.ProcessEnv;
}

async function coldStarts(mains: Readonly<Record<string, ColdBuild>>, runs: number): Promise<void> {
  const caches = mkdtempSync(join(tmpdir(), "rig-bench-cache-"));
  const once = async (main: string, env: NodeJS.ProcessEnv): Promise<number> => {
    const rigd = await startRigd(main, env);
    started.delete(rigd);
    await rigd.stop();
    process.stderr.write(".");
    return rigd.coldStartMs;
  };
  try {
    const builds = Object.entries(mains).map(([name, { main, env }], b) => {
      const withCache = (dir: string): NodeJS.ProcessEnv => ({ ...process.env, ...env, NODE_COMPILE_CACHE: join(caches, dir) });
      return { name, main, withCache, warm: `warm-${b}`, first: [] as number[], warmed: [] as number[] };
    });
    for (const build of builds) await once(build.main, build.withCache(build.warm)); // fills the warm cache
    // The floor: Node itself, spawned until it exits having run nothing.
    const bare: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      await new Promise((resolve) => spawn(process.execPath, ["-e", ""], { stdio: "ignore" }).once("exit", resolve));
      bare.push(performance.now() - t0);
      for (const build of i % 2 === 0 ? builds : [...builds].reverse()) {
        build.first.push(await once(build.main, build.withCache(`first-${build.warm}-${i}`)));
        build.warmed.push(await once(build.main, build.withCache(build.warm)));
      }
    }
    process.stderr.write("\n");
    console.log(`\nrigd cold start, spawn to first ListEnvironments answer (${runs} runs each, interleaved):`);
    const line = (what: string, times: readonly number[]): void => {
      const sorted = [...times].sort((a, b) => a - b);
      console.log(`  ${what.padEnd(72)} median ${median(times).toFixed(0)} ms, min ${sorted[0]?.toFixed(0)} ms, max ${sorted.at(-1)?.toFixed(0)} ms`);
    };
    line("node alone (spawn to exit of `node -e ''`):", bare);
    for (const build of builds) {
      const of = builds.length > 1 ? `${build.name}, ` : "";
      line(`${of}first-ever (empty compile cache):`, build.first);
      line(`${of}warm compile cache:`, build.warmed);
    }
  } finally {
    rmSync(caches, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: "string", default: "2" },
      rounds: { type: "string", default: "5" },
      concurrency: { type: "string", default: "16" },
      "cold-runs": { type: "string", default: "10" },
      rigd: { type: "string", default: join(dist, "main.js") },
      only: { type: "string" },
      "cold-baseline": { type: "string", multiple: true },
    },
  });
  const options = { seconds: Number(values.seconds), rounds: Number(values.rounds), concurrency: Number(values.concurrency) };
  const rigdMain = values.rigd;
  // rigd as the SDKs start it (the one-file bundle when the build made one, rigd/bundle-choice.ts),
  // and from its modules, as after a `tsc -b`.
  const bundled = freshBundle(dirname(rigdMain)) !== undefined;
  const coldMains: Record<string, ColdBuild> = {
    [bundled ? "rigd (one-file bundle)" : "rigd (modules: no current bundle)"]: { main: rigdMain },
    ...(bundled ? { "rigd (modules, RIG_RIGD_MODULES=1)": { main: rigdMain, env: { RIG_RIGD_MODULES: "1" } } } : {}),
    ...Object.fromEntries((values["cold-baseline"] ?? []).map((main) => [relative(process.cwd(), main), { main }])),
  };
  if (values.only === "none") {
    console.log(`rigd: ${rigdMain}, node ${process.version}`);
    await coldStarts(coldMains, Number(values["cold-runs"]));
    return;
  }
  console.log(
    `proxy through rigd: ${options.rounds} rounds of ${options.seconds} s slices, concurrency ${options.concurrency}, node ${process.version}`,
  );
  console.log(`rigd: ${rigdMain}`);

  const rigd = await startRigd(rigdMain);
  const pid = rigd.child.pid;
  const rssIdle = rssKiB(pid);
  const httpTarget = join(dist, "bench", "http-target-main.js");
  const grpcTarget = join(dist, "proxy", "testdata", "echo-grpc-main.js");
  const { environmentId } = await rigd.client.createEnvironment({
    spec: spec({
      name: "proxy-bench",
      observe: true,
      services: [
        service("web", httpTarget, Protocol.HTTP),
        service("web-raw", httpTarget, Protocol.TCP),
        service("echo", grpcTarget, Protocol.GRPC),
        service("echo-raw", grpcTarget, Protocol.TCP),
      ],
    }),
  });

  // Watch as the SDKs do for the whole run: no service logs, no traffic.
  const watching = new AbortController();
  const pids = new Map<string, number>();
  let upEndpoints: Record<string, Endpoint> | undefined;
  const isUp = new Promise<void>((resolve, reject) => {
    void (async () => {
      try {
        for await (const res of rigd.client.watchEvents({ environmentId, afterSeq: 0n, excludeTraffic: true }, { signal: watching.signal })) {
          const p = res.event?.payload;
          if (p?.case === "serviceStarting" && res.event) pids.set(res.event.service, p.value.pid);
          else if (p?.case === "environmentUp") {
            upEndpoints = Object.fromEntries(Object.entries(p.value.services).map(([n, s]) => [n, s.ingresses.default as Endpoint]));
            resolve();
          } else if (p?.case === "environmentDown") reject(new Error(`environment went down: ${p.value.summary}`));
        }
      } catch (err) {
        if (!watching.signal.aborted) reject(err as Error);
      }
    })();
  });
  await isUp;
  const state = await rigd.client.getEnvironment({ environmentId });
  const real = (name: string): number => state.environment?.services.find((s) => s.name === name)?.ingresses.default?.port ?? 0;
  const through = (name: string): number => upEndpoints?.[name]?.port ?? 0;
  console.log(
    `ports: web direct ${real("web")} proxied ${through("web")} bare ${through("web-raw")}; ` +
      `echo direct ${real("echo")} proxied ${through("echo")} bare ${through("echo-raw")}`,
  );

  const run = (what: string): boolean => values.only === undefined || values.only === what;
  const cpuOf = (service: string) => async (): Promise<number[]> => [cpuMicros(pid), cpuMicros(pids.get(service))];
  if (run("http")) {
    const agent = new Agent({ keepAlive: true, maxSockets: options.concurrency });
    const http = await compare(
      { direct: httpGet(agent, real("web")), proxied: httpGet(agent, through("web")), bare: httpGet(agent, through("web-raw")) },
      cpuOf("web"),
      options,
    );
    agent.destroy();
    printComparison("HTTP GET, keep-alive, through rigd (request.completed recorded)", "req", http, { proxied: "rigd http", bare: "rigd tcp" });
    printCpu(http);
  }
  if (run("grpc")) {
    const direct = echoClient(`127.0.0.1:${real("echo")}`);
    const proxied = echoClient(`127.0.0.1:${through("echo")}`);
    const bare = echoClient(`127.0.0.1:${through("echo-raw")}`);
    const say = (c: typeof direct) => async (): Promise<void> => void (await c.say({ text: "hello", repeat_count: 2, tags: { a: "b" } }));
    const grpc = await compare({ direct: say(direct), proxied: say(proxied), bare: say(bare) }, cpuOf("echo"), options);
    direct.close();
    proxied.close();
    bare.close();
    printComparison("gRPC unary, through rigd (grpc.call.completed decoded to JSON)", "call", grpc, { proxied: "rigd grpc", bare: "rigd tcp" });
    printCpu(grpc);
  }

  const rssLoaded = rssKiB(pid);
  await rigd.client.destroyEnvironment({ environmentId });
  watching.abort();
  const recorded = recordedTraffic(join(rigd.rigDir, "logs", environmentId, "events.jsonl"));
  console.log(
    `\nevents recorded in events.jsonl: ${recorded.requestCompleted} request.completed, ${recorded.grpcCallCompleted} grpc.call.completed, ${recorded.connectionClosed} connection.closed`,
  );
  console.log(`rigd RSS: idle ${(rssIdle / 1024).toFixed(1)} MiB, after the load ${(rssLoaded / 1024).toFixed(1)} MiB`);
  started.delete(rigd);
  await rigd.stop();

  if (Number(values["cold-runs"]) > 0) await coldStarts(coldMains, Number(values["cold-runs"]));
}

/** Traffic events of a run's events.jsonl, by payload. */
function recordedTraffic(path: string): Record<"requestCompleted" | "grpcCallCompleted" | "connectionClosed", number> {
  const counts = { requestCompleted: 0, grpcCallCompleted: 0, connectionClosed: 0 };
  for (const line of readFileSync(path, "utf8").split("\n")) {
    for (const key of Object.keys(counts) as (keyof typeof counts)[]) if (line.includes(`"${key}":`)) counts[key]++;
  }
  return counts;
}

function printCpu(c: Comparison): void {
  const [rigd = 0, target = 0] = c.cpu;
  const [rigdBare = 0] = c.bareCpu;
  const perOp = rigd / c.proxiedOps;
  const perBareOp = rigdBare / c.bareOps;
  console.log(
    `  CPU per op: rigd ${perOp.toFixed(0)} µs recording, ${perBareOp.toFixed(0)} µs as a bare hop (recording adds ${(perOp - perBareOp).toFixed(0)} µs); ` +
      `the target service itself ${(target / c.proxiedOps).toFixed(0)} µs`,
  );
}

try {
  await main();
} finally {
  await Promise.allSettled([...started].map((r) => r.stop()));
}
