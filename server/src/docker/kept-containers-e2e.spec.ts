/**
 * Preserve on failure through a real rigd: with RIG_PRESERVE_ON_FAILURE in the client's
 * environment, a failed environment's containers are stopped, not removed, renamed
 * `rig-kept-...`, and the failure summary says how to inspect them; the network still
 * goes; the reaper leaves them; `rig prune` removes them. Without it nothing is kept.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Protocol, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import type { Rigd } from "../testing/rigd-harness.js";
import { createDockerClient, engineReachable } from "./docker-client.js";
import { KEPT_PREFIX } from "./kept-containers.js";
import { pidIsAlive, reapOrphans } from "./reaper.js";
import { dockerResourcesOf, failingEnvironment, networksOf, startDockerRigd } from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const docker = createDockerClient();
const RIG_CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "cli", "rig.js");
type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const services: ServiceInit[] = [
  {
    name: "server",
    ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
    config: { case: "container", value: { image: testImages.busybox, cmd: ["sh", "-c", "echo state-to-inspect > /tmp/state; exec httpd -f -p 80 -h /tmp"] } },
  },
  {
    name: "broken",
    noIngress: true,
    egresses: [{ service: "server" }],
    config: { case: "container", value: { image: testImages.busybox, cmd: ["sh", "-c", "sleep 0.2; echo giving up >&2; exit 3"] } },
  },
];

async function keptOf(id: string): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { name: [`${KEPT_PREFIX}${id}-`] } });
  return list.map((c) => (c.Names[0] ?? "").replace(/^\//, "")).sort();
}

describe("containers kept for inspection (real rigd, real engine)", { concurrency: false }, () => {
  let rigd: Rigd;
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
    rigd = await startDockerRigd();
  });
  after(async () => {
    await rigd?.stop();
    assert.deepEqual(await dockerResourcesOf(docker, rigd.child.pid as number), []);
  });

  it("a failure with RIG_PRESERVE_ON_FAILURE keeps the stopped containers, says how to inspect them; rig prune removes them", async () => {
    const { id, events } = await failingEnvironment(rigd, { name: "kept", hostEnv: { PATH: process.env["PATH"] ?? "", RIG_PRESERVE_ON_FAILURE: "1" }, services });
    const down = events.at(-1);
    assert.ok(down?.payload.case === "environmentDown");
    const summary = down.payload.value.summary;
    assert.match(summary, /service "broken" failed/);
    assert.match(summary, new RegExp(`kept for inspection \\(\`rig prune\` removes them\\):\\n  container ${KEPT_PREFIX}${id}-`));
    assert.match(summary, /docker logs rig-kept-/);

    const kept = await keptOf(id);
    assert.deepEqual(kept, [`${KEPT_PREFIX}${id}-broken`, `${KEPT_PREFIX}${id}-server`]);
    const server = await docker.getContainer(kept[1]!).inspect();
    assert.equal(server.State.Running, false, "kept stopped");
    const archive = await docker.getContainer(kept[1]!).getArchive({ path: "/tmp/state" });
    const chunks: Buffer[] = [];
    for await (const chunk of archive as AsyncIterable<Buffer>) chunks.push(chunk);
    assert.match(Buffer.concat(chunks).toString("latin1"), /state-to-inspect/, "its files can be read");
    assert.deepEqual(await networksOf(docker, id), [], "the network goes anyway");

    // Neither the reaper (its rigd dead or not) nor the watchdog takes them: only prune does.
    // The reaper is told this rigd is dead, and only this one: every other rig container on
    // the engine belongs to a test running beside this one.
    await reapOrphans(docker, (pid) => pid !== rigd.child.pid);
    assert.deepEqual(await keptOf(id), kept);
    const pruned = await promisify(execFile)(process.execPath, [RIG_CLI, "prune"], { env: { ...process.env, RIG_DIR: rigd.rigDir } });
    assert.match(pruned.stdout, new RegExp(`removed container ${KEPT_PREFIX}${id}-server \\(kept for inspection\\)`));
    assert.deepEqual(await keptOf(id), []);
    assert.ok(pidIsAlive(rigd.child.pid as number));
  });

  it("without it, a failure removes the containers", async () => {
    const { id } = await failingEnvironment(rigd, { name: "gone", hostEnv: { PATH: process.env["PATH"] ?? "" }, services });
    assert.deepEqual(await keptOf(id), []);
    assert.deepEqual(await dockerResourcesOf(docker, rigd.child.pid as number), []);
  });
});
