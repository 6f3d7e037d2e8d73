/**
 * Shared containers through a real rigd: one container serves three environments in
 * turn with its reset command run between them; an environment that changes the
 * definition gets its own; a second environment waits for the lease; the idle timeout
 * removes it; with reuse a later rigd adopts the running container.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Protocol, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { eventually, type Rigd } from "../testing/rigd-harness.js";
import { createDockerClient } from "./docker-client.js";
import { LABEL_SHARED_KEY } from "./labels.js";
import { serviceEndpoint, startDockerRigd, upEnvironment, useDockerRigd } from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const docker = createDockerClient();
const KEY = `spec-${process.pid}`;
type ServiceInit = MessageInitShape<typeof ServiceSchema>;

/** busybox httpd serving /www; /www/state holds what the last lease wrote; resets are counted in /www/resets. */
function sharedBox(options: { env?: Record<string, string>; idleMs?: number; reuse?: boolean; key?: string } = {}): ServiceInit {
  return {
    name: "box",
    ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
    config: {
      case: "container",
      value: {
        image: testImages.busybox,
        cmd: ["sh", "-c", "mkdir -p /www && touch /www/resets && exec httpd -f -p 80 -h /www"],
        env: options.env ?? {},
        shared: {
          key: options.key ?? KEY,
          resetCommands: [{ command: ["sh", "-c", "echo reset >> /www/resets; rm -f /www/state"] }],
          ...(options.idleMs ? { idleTimeout: durationFromMs(options.idleMs) } : {}),
          reuse: options.reuse ?? false,
        },
      },
    },
  };
}

async function get(rigd: Rigd, id: string, path: string): Promise<string> {
  const box = await serviceEndpoint(rigd, id, "box");
  const res = await fetch(`http://${box.host}:${box.port}${path}`);
  return res.status === 404 ? "(none)" : (await res.text()).trim();
}

async function exec(rigd: Rigd, id: string, script: string): Promise<string> {
  const res = await rigd.client.execService({ environmentId: id, service: "box", command: ["sh", "-c", script] });
  return Buffer.from(res.stdout).toString().trim();
}

async function sharedContainers(key = KEY): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [`${LABEL_SHARED_KEY}=${key}`] } });
  return list.map((c) => c.Id).sort();
}

describe("shared containers (real rigd, real engine)", { concurrency: false }, () => {
  const fixture = useDockerRigd(docker, async () => {
    for (const id of await sharedContainers(`${KEY}-reuse`)) await docker.getContainer(id).remove({ force: true });
  });
  let rigd: Rigd;
  before(() => (rigd = fixture.rigd));

  it("serves three environments in turn, reset between them; a changed definition gets its own", async () => {
    const seen: string[] = [];
    for (const round of [1, 2, 3]) {
      const env = await upEnvironment(rigd, { name: `turn-${round}`, services: [sharedBox()] });
      assert.equal(await get(rigd, env.id, "/state"), "(none)", `round ${round} starts from a reset container`);
      seen.push(await exec(rigd, env.id, `echo round-${round} > /www/state; hostname`));
      assert.equal(await get(rigd, env.id, "/resets"), round === 1 ? "" : Array(round - 1).fill("reset").join("\n"));
      await rigd.client.destroyEnvironment({ environmentId: env.id });
    }
    assert.equal(new Set(seen).size, 1, `one container served all three: ${seen.join(", ")}`);
    assert.equal((await sharedContainers()).length, 1);

    const other = await upEnvironment(rigd, { name: "other", services: [sharedBox({ env: { FLAVOUR: "b" } })] });
    assert.notEqual(await exec(rigd, other.id, "hostname"), seen[0], "a different definition, a different container");
    assert.equal((await sharedContainers()).length, 2);
    await rigd.client.destroyEnvironment({ environmentId: other.id });
  });

  it("a second environment waits for the lease of the first", async () => {
    const first = await upEnvironment(rigd, { name: "first", services: [sharedBox()] });
    await exec(rigd, first.id, "echo first > /www/state");
    const second = upEnvironment(rigd, { name: "second", services: [sharedBox()] });
    const raced = await Promise.race([second.then(() => "second up"), new Promise((r) => setTimeout(() => r("waiting"), 1_000))]);
    assert.equal(raced, "waiting", "the lease is exclusive");
    await rigd.client.destroyEnvironment({ environmentId: first.id });
    const up = await second;
    assert.equal(await get(rigd, up.id, "/state"), "(none)", "reset before the second lease");
    await rigd.client.destroyEnvironment({ environmentId: up.id });
  });

  it("the idle timeout removes an unleased container", async () => {
    const key = `${KEY}-idle`;
    const env = await upEnvironment(rigd, { name: "idle", services: [sharedBox({ key, idleMs: 500 })] });
    assert.equal((await sharedContainers(key)).length, 1);
    await rigd.client.destroyEnvironment({ environmentId: env.id });
    await eventually(async () => (await sharedContainers(key)).length === 0, 10_000, "the idle container to go");
  });

  it("reuse: a later rigd adopts the running container by its definition", async () => {
    const key = `${KEY}-reuse`;
    const first = await startDockerRigd();
    fixture.track(first);
    const env = await upEnvironment(first, { name: "reuse", services: [sharedBox({ key, reuse: true })] });
    const host = await exec(first, env.id, "echo kept > /www/marker; hostname");
    await first.stop();
    assert.equal((await sharedContainers(key)).length, 1, "it outlives its rigd");

    const second = await startDockerRigd();
    fixture.track(second);
    try {
      const again = await upEnvironment(second, { name: "reuse", services: [sharedBox({ key, reuse: true })] });
      assert.equal(await exec(second, again.id, "hostname"), host, "the same container");
      assert.equal(await get(second, again.id, "/marker"), "kept");
    } finally {
      await second.stop();
    }
  });
});
