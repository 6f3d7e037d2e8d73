import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import { HookSchema, RedisConfigSchema, type Hook } from "../gen/rig/v1/spec_pb.js";
import { execInContainer } from "../docker/container-exec.js";
import { createDockerClient, engineReachable } from "../docker/docker-client.js";
import { HarnessEnvironment } from "../docker/testing/service-harness.js";
import { rigContainers, testImages, testOwner } from "../docker/testing/test-images.js";
import { testPools } from "../pools/testing/test-pools.js";
import { Runtime } from "../gen/rig/v1/spec_pb.js";
import { createRedisType } from "./redis.js";

const docker = createDockerClient();
const owner = testOwner("redis");
const pools = testPools(docker, owner);
const pool = pools.redis;
const redisType = createRedisType({ docker, pool, runtimes: pools.runtimes, defaultImage: testImages.redis });

function exec(...command: string[]): Hook {
  return create(HookSchema, { action: { case: "exec", value: { command } } });
}

const redis = (init: Hook[] = []): { name: string; type: typeof redisType; config: unknown; init: Hook[] } => ({
  name: "cache",
  type: redisType,
  config: create(RedisConfigSchema, { runtime: Runtime.DOCKER }),
  init,
});

/** Sends one inline command over TCP from the host and returns the first reply line. */
function command(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(`${text}\r\n`));
    let reply = "";
    socket.on("data", (data) => {
      reply += data.toString();
      const nl = reply.indexOf("\r\n");
      if (nl < 0) return;
      socket.destroy();
      resolve(reply.slice(0, nl));
    });
    socket.once("error", reject);
  });
}

async function get(db: string, key: string): Promise<string> {
  const [container] = await rigContainers(docker, owner.rigdId);
  const result = await execInContainer(docker, container!, ["redis-cli", "-n", db, "GET", key]);
  return result.stdout.trim();
}

describe("redis type (real engine)", () => {
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
  });
  after(async () => {
    await pools.close();
    assert.deepEqual(await rigContainers(docker, owner.rigdId), [], "no container of this spec may remain");
  });

  it("gives environments distinct db numbers on one server; keys are isolated and flushed on release", async () => {
    await using envA = await HarnessEnvironment.create("ra");
    await using envB = await HarnessEnvironment.create("rb");
    const [a, b] = await Promise.all([
      envA.up(redis([exec("sh", "-c", 'redis-cli -u "$REDIS_URL" SET owner a')])),
      envB.up(redis([exec("sh", "-c", 'redis-cli -u "$REDIS_URL" SET owner b')])),
    ]);
    const ea = a.endpoints["default"]!;
    const eb = b.endpoints["default"]!;
    assert.equal((await rigContainers(docker, owner.rigdId)).length, 1, "one server for both");
    assert.equal(ea.port, eb.port);
    const dbA = ea.attributes["REDIS_DB"]!;
    const dbB = eb.attributes["REDIS_DB"]!;
    assert.notEqual(dbA, dbB);
    assert.notEqual(dbA, "0", "db 0 stays unused");
    assert.equal(ea.attributes["REDIS_URL"], `redis://127.0.0.1:${ea.port}/${dbA}`);

    assert.equal(await command(ea.port, "PING"), "+PONG", "the published port answers from the host");
    assert.equal(await get(dbA, "owner"), "a");
    assert.equal(await get(dbB, "owner"), "b");
    assert.equal(await command(ea.port, `SELECT ${dbA}`), "+OK");

    await envA.down();
    assert.equal(await get(dbA, "owner"), "", "A's db was flushed on release");
    assert.equal(await get(dbB, "owner"), "b", "B's keys are untouched");

    // The flushed number is handed out again, empty.
    await using envC = await HarnessEnvironment.create("rc");
    const c = await envC.up(redis());
    assert.equal(c.endpoints["default"]!.attributes["REDIS_DB"], dbA);
  });

  it("a failing exec hook reports its output", async () => {
    await using env = await HarnessEnvironment.create("rfail");
    await assert.rejects(
      env.up(redis([exec("sh", "-c", "echo cannot-seed >&2; exit 4")])),
      (err: Error) => /exited with code 4/.test(err.message) && /cannot-seed/.test(err.message),
    );
  });
});
