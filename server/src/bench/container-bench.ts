/**
 * Per-environment start time of a three-container environment (issue 14), side by side
 * in one run, interleaved so drift on a shared machine hits every variant alike:
 *
 *   - rig, fresh: a real rigd creates the environment's network and three containers
 *     (busybox httpd, HTTP readiness) for every environment;
 *   - rig, shared with reset: the same three containers declared `.shared(key)` with a
 *     reset command; after the first environment each one is a lease of a running
 *     container, reset between environments. The reset runs after a release, in the
 *     background: measured both with it done (other variants ran in between) and back to
 *     back (the next environment right after the last one's teardown waits for it);
 *   - testcontainers-node: a `Network` and three `GenericContainer`s started in parallel,
 *     `Wait.forHttp("/", 80)`, the same image and command.
 *
 * Start time is "the test asks" to "every container is ready" (rig: CreateEnvironment to
 * environment.up over the API; testcontainers: network create to the last start()).
 * Teardown is timed separately. Prints medians and ratios; asserts nothing.
 *
 *   node server/dist/bench/container-bench.js [--runs 10]
 *
 * Image: $RIG_TEST_BUSYBOX_IMAGE (default rig-test/busybox:1, scripts/build-test-images.sh).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { parseArgs } from "node:util";
import { Protocol, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { createDockerClient } from "../docker/docker-client.js";
import { dockerResourcesOf, startDockerRigd, upEnvironment } from "../docker/testing/docker-rigd.js";
import { testImages } from "../docker/testing/test-images.js";
import { LABEL_SHARED_KEY } from "../docker/labels.js";
import type { Rigd } from "../testing/rigd-harness.js";
import { median } from "./load-rounds.js";

// No registry here: testcontainers must not try to pull its reaper image.
process.env["TESTCONTAINERS_RYUK_DISABLED"] ??= "true";

const SERVICES = ["db", "cache", "api"] as const;
const CMD = ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www"];
const KEY = `bench-${process.pid}`;

function service(name: string, shared: boolean): MessageInitShape<typeof ServiceSchema> {
  return {
    name,
    ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
    config: {
      case: "container",
      value: {
        image: testImages.busybox,
        cmd: CMD,
        ...(shared ? { shared: { key: `${KEY}-${name}`, resetCommands: [{ command: ["rm", "-f", "/www/state"] }] } } : {}),
      },
    },
  };
}

/** One rig environment: start and teardown times, ms. */
async function rigOnce(rigd: Rigd, shared: boolean): Promise<{ up: number; down: number }> {
  const started = performance.now();
  const env = await upEnvironment(rigd, { name: shared ? "shared" : "fresh", services: SERVICES.map((s) => service(s, shared)) });
  const up = performance.now() - started;
  const stopping = performance.now();
  await rigd.client.destroyEnvironment({ environmentId: env.id });
  return { up, down: performance.now() - stopping };
}

/** The same with testcontainers-node. */
async function testcontainersOnce(): Promise<{ up: number; down: number }> {
  const { GenericContainer, Network, Wait } = await import("testcontainers");
  const started = performance.now();
  const network = await new Network().start();
  const containers = await Promise.all(
    SERVICES.map((name) =>
      new GenericContainer(testImages.busybox)
        .withCommand(CMD)
        .withNetwork(network)
        .withNetworkAliases(name)
        .withExposedPorts(80)
        .withWaitStrategy(Wait.forHttp("/", 80))
        .start(),
    ),
  );
  const up = performance.now() - started;
  const stopping = performance.now();
  await Promise.all(containers.map((c) => c.stop()));
  await network.stop();
  return { up, down: performance.now() - stopping };
}

function fmt(ms: number): string {
  return `${ms.toFixed(1).padStart(8)} ms`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "10" } } });
  const runs = Math.max(1, Number(values.runs));
  const docker = createDockerClient();
  const rigd = await startDockerRigd();
  console.log(`three-container environment start (busybox httpd, HTTP readiness), image ${testImages.busybox}, ${runs} runs each`);
  try {
    // Warm-up, untimed: the image artifact, the shared containers' first start, testcontainers' engine probe.
    const warm = performance.now();
    await rigOnce(rigd, false);
    await rigOnce(rigd, true);
    await testcontainersOnce();
    console.log(`  (warm-up ${fmt(performance.now() - warm).trim()})`);

    type Times = { up: number; down: number }[];
    const results = { fresh: [] as Times, shared: [] as Times, backToBack: [] as Times, tc: [] as Times };
    for (let i = 0; i < runs; i++) {
      results.fresh.push(await rigOnce(rigd, false));
      results.shared.push(await rigOnce(rigd, true));
      results.backToBack.push(await rigOnce(rigd, true));
      results.tc.push(await testcontainersOnce());
    }
    const row = (label: string, values: { up: number; down: number }[]): number => {
      const ups = values.map((v) => v.up);
      const m = median(ups);
      console.log(
        `  ${label.padEnd(32)} start median ${fmt(m)} (min ${fmt(Math.min(...ups)).trim()}, max ${fmt(Math.max(...ups)).trim()})   teardown median ${fmt(median(values.map((v) => v.down)))}`,
      );
      return m;
    };
    const fresh = row("rig, fresh network + containers", results.fresh);
    const shared = row("rig, shared, reset done", results.shared);
    const backToBack = row("rig, shared, back to back", results.backToBack);
    const tc = row("testcontainers-node", results.tc);
    console.log(`  ratio testcontainers / rig fresh:  ${(tc / fresh).toFixed(2)}x`);
    console.log(`  ratio testcontainers / rig shared: ${(tc / shared).toFixed(2)}x`);
    console.log(`  ratio testcontainers / rig shared back to back: ${(tc / backToBack).toFixed(2)}x`);
    console.log(`  ratio rig fresh / rig shared:      ${(fresh / shared).toFixed(2)}x`);
  } finally {
    await rigd.stop();
    const left = await dockerResourcesOf(docker, rigd.child.pid as number);
    const shared = await docker.listContainers({ all: true, filters: { label: [`${LABEL_SHARED_KEY}`] } });
    if (left.length > 0) console.error(`leaked: ${left.join(", ")}`);
    if (shared.some((c) => c.Labels[LABEL_SHARED_KEY]?.startsWith(KEY))) console.error("leaked shared containers");
  }
}

await main();
