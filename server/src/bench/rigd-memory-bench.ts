/**
 * rigd's memory over many environment lifetimes (SPEC §13, issue 19): one rigd, `--cycles`
 * environments one after another, each up (observe on, one process service behind the
 * recording HTTP proxy), `--requests` requests through the proxy, destroyed. rigd's RSS
 * (`/proc/<pid>/status` VmRSS) is printed every `--every` cycles; memory is flat when the
 * value after all cycles is within 10% of the value after 100. Prints figures; asserts
 * nothing.
 *
 *   node server/dist/bench/rigd-memory-bench.js [--cycles 1000] [--every 100] [--requests 20] [--rigd path/to/main.js]
 *
 * rigd runs with its defaults (finished environments known for 10 minutes), so a rigd
 * that kept each finished run in memory for its retention time shows it here.
 */
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { processesWith, RIGD_MAIN, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

const { values } = parseArgs({
  options: {
    cycles: { type: "string", default: "1000" },
    every: { type: "string", default: "100" },
    requests: { type: "string", default: "20" },
    rigd: { type: "string" },
  },
});
const cycles = Number(values.cycles);
const every = Number(values.every);
const requests = Number(values.requests);
const target = join(import.meta.dirname, "http-target-main.js");

function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) : 0;
}

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
    spec: spec({
      name: `cycle-${n}`,
      observe: true,
      services: [
        {
          name: "web",
          ingresses: [{ protocol: Protocol.HTTP }],
          config: { case: "process", value: { command: process.execPath, args: [target, rigd.marker] } },
        },
      ],
    }),
  });
  let port = 0;
  for await (const res of rigd.client.watchEvents({ environmentId, afterSeq: 0n })) {
    const payload = res.event?.payload;
    if (payload?.case === "environmentUp") {
      port = payload.value.services.web?.ingresses.default?.port ?? 0;
      break;
    }
    if (payload?.case === "environmentDown") throw new Error(`cycle ${n} went down: ${payload.value.summary}`);
  }
  for (let i = 0; i < requests; i++) await get(port);
  agent.destroy();
  await rigd.client.destroyEnvironment({ environmentId });
}

const rigd = await startRigd([], { main: values.rigd ?? RIGD_MAIN });
const stop = async (): Promise<void> => {
  await rigd.stop();
  for (const pid of processesWith(rigd.marker)) process.kill(pid, "SIGKILL");
};
process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
try {
  const pid = rigd.child.pid!;
  console.log(`rigd memory over ${cycles} environments (observe on, 1 process service, ${requests} proxied requests each), node ${process.version}`);
  console.log(`rigd: ${values.rigd ?? RIGD_MAIN}\n`);
  console.log("| after cycles | rigd RSS | vs after 100 |");
  console.log("| ---: | ---: | ---: |");
  const idle = rssKiB(pid);
  console.log(`| 0 (idle) | ${(idle / 1024).toFixed(1)} MiB | |`);
  let at100 = 0;
  const started = performance.now();
  for (let n = 1; n <= cycles; n++) {
    await cycle(rigd, n);
    if (n % 10 === 0) process.stderr.write(".");
    if (n % every === 0 || n === cycles) {
      const rss = rssKiB(pid);
      if (n === 100) at100 = rss;
      const ratio = at100 ? `${((rss / at100) * 100 - 100).toFixed(1)}%` : "";
      console.log(`| ${n} | ${(rss / 1024).toFixed(1)} MiB | ${ratio} |`);
    }
  }
  process.stderr.write("\n");
  console.log(`\n${cycles} cycles in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await stop();
}
