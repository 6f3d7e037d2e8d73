/**
 * Kafka time to ready (issue 15): per-environment time from CreateEnvironment to
 * environment.up of a `kafka` service (one topic with 2 partitions, one Avro schema)
 * through a real rigd, side by side in one run:
 *
 *   - cold: the first environment, which starts rigd's shared broker (JVM, format, KRaft);
 *   - warm pool: later environments on the running broker (a prefix, a topic, a registry);
 *   - warm pool, observed: the same with the test's edge through the Kafka proxy;
 *   - dedicated cluster: a broker of its own per environment (the cold cost, every time).
 *
 * Prints medians and the ratio of warm to dedicated; asserts nothing. Destroy is not timed.
 *
 *   node server/dist/bench/kafka-bench.js [--runs 10] [--dedicated-runs 3]
 *
 * Needs the Kafka jars and Java 17+ (scripts/install-kafka.sh).
 */
import { parseArgs } from "node:util";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { collectEvents, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, "dedicated-runs": { type: "string", default: "3" } } });
const runs = Number(values.runs);
const dedicatedRuns = Number(values["dedicated-runs"]);

const SCHEMA = JSON.stringify({ type: "record", name: "Order", fields: [{ name: "id", type: "int" }] });

/** One environment up; returns ms from create to environment.up. */
async function upOnce(rigd: Rigd, options: { observe?: boolean; dedicated?: boolean } = {}): Promise<number> {
  const started = performance.now();
  const res = await rigd.client.createEnvironment({
    spec: spec({
      name: "kafka-bench",
      observe: options.observe ?? false,
      services: [
        {
          name: "bus",
          ingresses: [{ name: "default", protocol: Protocol.KAFKA }],
          config: {
            case: "kafka",
            value: { topics: [{ name: "orders", partitions: 2 }], avroSchemas: [{ subject: "orders-value", schema: SCHEMA }], dedicatedCluster: options.dedicated ?? false },
          },
        },
      ],
    }),
  });
  const events = await collectEvents(rigd, res.environmentId, undefined, { timeoutMs: 120_000 });
  const took = performance.now() - started;
  await rigd.client.destroyEnvironment({ environmentId: res.environmentId, reason: "bench" });
  if (!events.some((e) => e.payload.case === "environmentUp")) throw new Error(`kafka environment did not come up: ${events.map((e) => e.type).join(", ")}`);
  return took;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const rigd = await startRigd();
try {
  const cold = await upOnce(rigd);
  const warm: number[] = [];
  const observed: number[] = [];
  for (let i = 0; i < runs; i++) {
    warm.push(await upOnce(rigd));
    observed.push(await upOnce(rigd, { observe: true }));
  }
  const dedicated: number[] = [];
  for (let i = 0; i < dedicatedRuns; i++) dedicated.push(await upOnce(rigd, { dedicated: true }));
  const row = (name: string, ms: number, n: number) => console.log(`${name.padEnd(44)} ${ms.toFixed(1).padStart(9)} ms  (n=${n})`);
  console.log("kafka environment: create -> environment.up (1 topic x 2 partitions, 1 Avro schema)");
  row("cold (first environment starts the broker)", cold, 1);
  row("warm pool (median)", median(warm), runs);
  row("warm pool, observed through the Kafka proxy", median(observed), runs);
  row("dedicated cluster (a broker per environment)", median(dedicated), dedicatedRuns);
  console.log(`warm pool is ${(median(dedicated) / median(warm)).toFixed(1)}x faster than a broker per environment`);
} finally {
  await rigd.stop();
}
