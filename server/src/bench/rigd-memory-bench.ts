/**
 * rigd's memory over many environment lifetimes (SPEC §13, issue 19): one rigd, `--cycles`
 * environments one after another, each up (observe on, one process service behind the
 * recording HTTP proxy), `--requests` requests through the proxy, destroyed. At each
 * cycle count of `--at` it prints rigd's RSS (`/proc/<pid>/status` VmRSS), the V8 heap
 * rigd holds (committed), its live heap (heapUsed right after a full GC) and its CPU time
 * so far. Memory is flat when RSS after all cycles is within 10% of RSS after 100; the
 * live heap says whether rigd retains anything per finished environment (a leak) as
 * opposed to heap V8 has not given back. Prints figures; asserts nothing.
 *
 *   node server/dist/bench/rigd-memory-bench.js [--cycles 1000] [--at 100,250,500,1000] [--requests 20] [--rigd path/to/main.js]
 *
 * rigd runs with its defaults (finished environments known for 10 minutes, at most 1,000),
 * plus node's `--inspect` on a loopback port and `--expose-gc`: the bench reads the heap
 * figures and runs the GC through the inspector (rigd's API has no GC trigger), after
 * reading RSS. That GC is not a memory-reducing one, so the figures after it are not
 * flattered (testing/rigd-inspector.ts).
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { collectEvents, nodeHttpService, processesWith, RIGD_MAIN, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { freePort, lookAtHeap } from "../testing/rigd-inspector.js";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "1000" },
    at: { type: "string", default: "100,250,500,1000" },
    requests: { type: "string", default: "20" },
    rigd: { type: "string" },
  },
});
const cycles = Number(values.cycles);
const checkpoints = new Set([...values.at.split(",").map(Number), cycles]);
const requests = Number(values.requests);
const target = join(import.meta.dirname, "http-target-main.js");

function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) * 1024 : 0;
}

/** User + system CPU seconds of a process (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
const versus = (value: number, base: number | undefined): string => (base ? `${((value / base) * 100 - 100).toFixed(1)}%` : "");

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      res.resume();
      res.on("end", resolve);
    })
      .on("error", reject)
      .end();
  });
}

/** One environment: up, `requests` requests through its proxy, destroyed. */
async function cycle(rigd: Rigd, n: number): Promise<void> {
  const { environmentId } = await rigd.client.createEnvironment({
    spec: spec({ name: `cycle-${n}`, observe: true, services: [nodeHttpService(rigd, target)] }),
  });
  const last = (await collectEvents(rigd, environmentId)).at(-1);
  if (last?.payload.case !== "environmentUp") throw new Error(`cycle ${n} did not come up: ${last?.type}`);
  const port = last.payload.value.services.web!.ingresses.default!.port;
  for (let i = 0; i < requests; i++) await get(port);
  agent.destroy();
  await rigd.client.destroyEnvironment({ environmentId });
}

const inspectPort = await freePort();
// RIGD_NODE_ARGS: more node flags for rigd, after its own, e.g. "--trace-gc-nvp".
const extraNodeArgs = process.env.RIGD_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? [];
const rigd = await startRigd([], { main: values.rigd ?? RIGD_MAIN, nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`, "--expose-gc", ...extraNodeArgs] });
const stop = async (): Promise<void> => {
  await rigd.stop();
  for (const pid of processesWith(rigd.marker)) process.kill(pid, "SIGKILL");
};
process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
try {
  const pid = rigd.child.pid!;
  console.log(`rigd memory over ${cycles} environments (observe on, 1 process service, ${requests} proxied requests each), node ${process.version}`);
  console.log(`rigd: ${values.rigd ?? RIGD_MAIN}\n`);
  console.log("| after cycles | rigd RSS | RSS vs after 100 | V8 heap committed | live heap (after a full GC) | live vs after 100 | external | rigd CPU |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  let base: { rss: number; live: number } | undefined;
  const row = async (n: number): Promise<void> => {
    const rss = rssBytes(pid); // first: the forced GC below may give memory back
    const { before, afterGc } = await lookAtHeap(inspectPort);
    if (n === 100) base = { rss, live: afterGc.heapUsed };
    const cells = [n === 0 ? "0 (idle)" : String(n), mib(rss), versus(rss, base?.rss), mib(before.heapTotal)];
    cells.push(mib(afterGc.heapUsed), versus(afterGc.heapUsed, base?.live), mib(afterGc.external), `${cpuSeconds(pid).toFixed(1)} s`);
    console.log(`| ${cells.join(" | ")} |`);
  };
  await row(0);
  const started = performance.now();
  for (let n = 1; n <= cycles; n++) {
    await cycle(rigd, n);
    if (n % 10 === 0) process.stderr.write(".");
    if (checkpoints.has(n)) await row(n);
  }
  process.stderr.write("\n");
  console.log(`\n${cycles} cycles in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await stop();
}
