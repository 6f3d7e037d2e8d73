/**
 * A finished environment releases what it held, through a real rigd: after many up/down
 * cycles (observe on, requests through the recording proxy, service output), nothing in
 * rigd's heap grows with the number of environments, and the environments it still knows
 * are summaries whose logs come complete from their files. Counted from heap snapshots
 * of rigd (taken after a full GC, through the inspector) by constructor; the
 * finished-environment limit is low so even the summaries stay at a fixed count.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, it } from "node:test";
import { collectEvents, eventually, FIXTURES, leftoverTempDirs, nodeHttpService, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { freePort, heapCounts } from "../testing/rigd-inspector.js";

/** rigd's limit of finished environments it keeps known, here. */
const KEPT = 3;
const REQUESTS = 3;

let rigd: Rigd;
let inspectPort: number;

before(async () => {
  inspectPort = await freePort();
  rigd = await startRigd(["--limit", `finished-environments=${KEPT}`], { nodeArgs: [`--inspect=127.0.0.1:${inspectPort}`] });
});

after(async () => {
  await rigd.stop();
});

function get(port: number): Promise<void> {
  return fetch(`http://127.0.0.1:${port}/`).then(async (res) => void (await res.text()));
}

/** One environment: up (a talking, proxied web service), REQUESTS requests, destroyed. */
async function cycle(n: number): Promise<string> {
  const { environmentId } = await rigd.client.createEnvironment({
    spec: spec({
      name: `cycle-${n}`,
      observe: true,
      services: [nodeHttpService(rigd, join(FIXTURES, "chain-server.js"))],
    }),
  });
  const up = (await collectEvents(rigd, environmentId)).at(-1)!;
  assert.equal(up.payload.case, "environmentUp", `cycle ${n} came up`);
  const port = up.payload.value.services.web!.ingresses.default!.port;
  for (let i = 0; i < REQUESTS; i++) await get(port);
  await rigd.client.destroyEnvironment({ environmentId });
  return environmentId;
}

/**
 * The heap once nothing about an environment is in flight: the last run dir deleted (in
 * the background after a destroy), and the metrics done with every log (they follow each
 * environment's log until its environment.down, every 10 s or at a scrape).
 */
async function settledHeapCounts(): Promise<Map<string, number>> {
  await eventually(() => leftoverTempDirs(rigd.rigDir).length === 0, 15_000, "the run dirs to be deleted");
  const metrics = await fetch(`http://${rigd.address}/metrics`, { headers: { authorization: `Bearer ${rigd.token}` } });
  assert.equal(metrics.status, 200, await metrics.text());
  return heapCounts(inspectPort);
}

it("holds nothing per finished environment: no constructor's count grows over 20 up/down cycles", async () => {
  for (let n = 1; n <= 10; n++) await cycle(n); // warm: lazy modules, caches, JIT
  const warm = await settledHeapCounts();
  let last = "";
  for (let n = 11; n <= 30; n++) last = await cycle(n);
  const later = await settledHeapCounts();

  // One object kept per environment adds 20; what grows by half that grows with
  // environments. Keys are constructor and shape, so one-off objects of warm-up (literal
  // boilerplates of code run for the first time) do not add up into one count.
  const grown = [...later]
    .map(([name, count]) => ({ name, by: count - (warm.get(name) ?? 0) }))
    .filter(({ by }) => by >= 10)
    .sort((a, b) => b.by - a.by);
  assert.deepEqual(grown, [], "instances that grew with the number of finished environments");
  const instances = (counts: Map<string, number>, constructor: string): number =>
    [...counts].filter(([key]) => key.startsWith(`${constructor}{`)).reduce((sum, [, count]) => sum + count, 0);
  assert.equal(instances(later, "EnvironmentRun"), 0, "no environment's run stays in memory once it is finalized");
  assert.equal(instances(later, "FinishedEnvironment"), KEPT, `the last ${KEPT} finished environments, as summaries`);

  // The summaries still answer with every event, read from events.jsonl.
  const log = (await Array.fromAsync(rigd.client.getLog({ environmentId: last }))).map((r) => r.event!.type);
  assert.equal(log[0], "environment.created");
  assert.equal(log.at(-1), "environment.down");
  assert.equal(log.filter((type) => type === "request.completed").length, REQUESTS);
  const watched = await collectEvents(rigd, last, () => false);
  assert.deepEqual(
    watched.map((e) => e.type),
    log.filter((type) => type !== "service.log"),
  );
});
