/**
 * Does a huge environment stall everyone else (issue 18)? Another client's
 * ListEnvironments latency through one real rigd: while idle, and while an environment
 * of N process services (`sleep`, no readiness wait) starts and then is destroyed.
 * Prints medians, p99 and max, and the ratio busy/idle; asserts nothing.
 *
 *   node server/dist/bench/busy-rigd-bench.js [--services 1000]
 */
import { parseArgs } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { ReadinessKind, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { collectEvents, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { median } from "./load-rounds.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const { values } = parseArgs({ options: { services: { type: "string", default: "1000" } } });
const count = Number(values.services);

function p(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** Times ListEnvironments back to back until `stop` resolves. */
async function probe(rigd: Rigd, stop: Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  let done = false;
  void stop.then(() => (done = true));
  while (!done) {
    const started = performance.now();
    await rigd.client.listEnvironments({});
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

function line(label: string, t: readonly number[]): string {
  return `  ${label.padEnd(34)} n=${String(t.length).padStart(5)}  median ${median(t).toFixed(2)} ms  p99 ${p(t, 0.99).toFixed(2)} ms  max ${(t.at(-1) ?? 0).toFixed(1)} ms`;
}

const rigd = await startRigd(["--limit", `services=${count + 10}`, "--limit", `processes=${count + 10}`]);
try {
  const idle = await probe(rigd, new Promise((r) => setTimeout(r, 2000)));
  const services: ServiceInit[] = Array.from({ length: count }, (_, i) => ({
    name: `s${i}`,
    ingresses: [{ name: "default", ready: { kind: ReadinessKind.NONE } }],
    config: { case: "process", value: { command: "sleep", args: ["600"] } },
  }));
  const upStarted = performance.now();
  const up = (async () => {
    const { environmentId } = await rigd.client.createEnvironment({ spec: spec({ name: "huge", services }) });
    await collectEvents(rigd, environmentId, undefined, { timeoutMs: 600_000 });
    return environmentId;
  })();
  const starting = await probe(rigd, up);
  const upMs = performance.now() - upStarted;
  const environmentId = await up;
  const downStarted = performance.now();
  const down = rigd.client.destroyEnvironment({ environmentId });
  const stopping = await probe(rigd, down);
  const downMs = performance.now() - downStarted;

  console.log(`ListEnvironments latency of another client, ${count} services (rigd ${rigd.address})`);
  console.log(line("idle rigd", idle));
  console.log(line(`while ${count} services start (${(upMs / 1000).toFixed(1)} s)`, starting));
  console.log(line(`while they stop (${(downMs / 1000).toFixed(1)} s)`, stopping));
  console.log(`  median busy/idle: start ${(median(starting) / median(idle)).toFixed(1)}x, stop ${(median(stopping) / median(idle)).toFixed(1)}x`);
} finally {
  await rigd.stop();
}
