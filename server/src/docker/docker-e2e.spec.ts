/**
 * Docker end to end: a real rigd (`node server/dist/main.js`), environments created over
 * its gRPC API, real containers from locally built images (scripts/build-test-images.sh),
 * real process services. Checks wiring into a process, pool sharing and isolation,
 * artifact failure, reaping after `kill -9`, and that no rig container is left.
 *
 * rigd is told the test images through RIG_POSTGRES_IMAGE / RIG_REDIS_IMAGE.
 * RIG_TEST_RIGD_MAIN may point at another rigd entry (default server/dist/main.js).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import type { Endpoint, Event } from "../gen/rig/v1/event_pb.js";
import { Protocol, ReadinessKind, Runtime } from "../gen/rig/v1/spec_pb.js";
import { RIGD_MAIN, bearer, eventually, readRigdToken, spec, watchdogOf } from "../testing/rigd-harness.js";
import { createDockerClient, engineReachable } from "./docker-client.js";
import { LABEL_ENVIRONMENT, LABEL_POOL, LABEL_RIGD_PID } from "./labels.js";
import { testImages } from "./testing/test-images.js";

const here = dirname(fileURLToPath(import.meta.url));
const APP = join(here, "testing", "pg-client-app.js");
const MAIN = process.env["RIG_TEST_RIGD_MAIN"] ?? RIGD_MAIN;
const docker = createDockerClient();
/** Every rigd pid this file started: none may own a container at the end. */
const spawnedPids: number[] = [];

interface TestRigd {
  readonly child: ChildProcess;
  readonly client: Client<typeof EnvironmentService>;
  readonly rigDir: string;
  stop(): Promise<void>;
}

async function startRigd(env: NodeJS.ProcessEnv = {}): Promise<TestRigd> {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-docker-e2e-"));
  const addrFile = join(rigDir, "rigd.addr");
  const child = spawn(process.execPath, [MAIN, "--rig-dir", rigDir, "--addr-file", addrFile, "--idle", "0"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, RIG_POSTGRES_IMAGE: testImages.postgres, RIG_REDIS_IMAGE: testImages.redis, ...env },
  });
  spawnedPids.push(child.pid as number);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  await eventually(() => {
    if (child.exitCode !== null) throw new Error(`rigd exited with ${child.exitCode}: ${stderr}`);
    return existsSync(addrFile);
  }, 20_000, "rigd's addr file");
  const address = readFileSync(addrFile, "utf8").trim();
  return {
    child,
    rigDir,
    client: createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(readRigdToken(addrFile))] })),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(rigDir, { recursive: true, force: true });
    },
  };
}

async function containersOf(pid: number, extraLabel?: string): Promise<string[]> {
  const label = [`${LABEL_RIGD_PID}=${pid}`, ...(extraLabel ? [extraLabel] : [])];
  const list = await docker.listContainers({ all: true, filters: { label } });
  return list.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ""));
}

/** Events of an environment until `until` matches (inclusive). */
async function collect(rigd: TestRigd, environmentId: string, until: (e: Event) => boolean): Promise<Event[]> {
  const events: Event[] = [];
  const signal = AbortSignal.timeout(120_000);
  for await (const res of rigd.client.watchEvents({ environmentId }, { signal })) {
    if (!res.event) continue;
    events.push(res.event);
    if (until(res.event)) break;
  }
  return events;
}

/** Creates an environment and waits for environment.up; fails with the down summary otherwise. */
async function up(rigd: TestRigd, init: Parameters<typeof spec>[0]): Promise<{ id: string; events: Event[] }> {
  const { environmentId } = await rigd.client.createEnvironment({ spec: spec(init) });
  const events = await collect(rigd, environmentId, (e) => e.type === "environment.up" || e.type === "environment.down");
  const last = events.at(-1);
  if (last?.payload.case !== "environmentUp") {
    const down = events.find((e) => e.payload.case === "environmentDown");
    throw new Error(`environment did not come up: ${down?.payload.case === "environmentDown" ? down.payload.value.summary : last?.type}`);
  }
  return { id: environmentId, events };
}

async function endpoint(rigd: TestRigd, id: string, service: string): Promise<Endpoint> {
  const { environment } = await rigd.client.getEnvironment({ environmentId: id });
  const found = environment?.services.find((s) => s.name === service)?.ingresses["default"];
  assert.ok(found, `${service} has a default ingress`);
  return found;
}

async function query(app: Endpoint, sql: string): Promise<string> {
  const res = await fetch(`http://${app.host}:${app.port}/query?sql=${encodeURIComponent(sql)}`);
  const body = (await res.text()).trim();
  assert.equal(res.status, 200, body);
  return body;
}

/** db (postgres with init SQL), cache (redis) and app (a process reading DB_* from its wiring). */
function appSpec(tag: string): Parameters<typeof spec>[0] {
  return {
    name: `pg-${tag}`,
    services: [
      {
        name: "db",
        config: { case: "postgres", value: {} },
        init: [{ action: { case: "sql", value: { statements: [`CREATE TABLE only_${tag} (v text)`, `INSERT INTO only_${tag} VALUES ('${tag}')`] } } }],
      },
      { name: "cache", config: { case: "redis", value: {} } },
      {
        name: "app",
        ingresses: [{ name: "default", protocol: Protocol.HTTP }],
        egresses: [{ service: "db" }, { service: "cache" }],
        config: { case: "process", value: { command: process.execPath, args: [APP] } },
      },
    ],
  };
}

describe("docker types through a real rigd", { concurrency: false }, () => {
  let rigd: TestRigd;
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
    rigd = await startRigd();
  });
  after(async () => {
    await rigd?.stop();
    for (const pid of spawnedPids) assert.deepEqual(await containersOf(pid), [], `containers of rigd ${pid} remain`);
  });

  it("two parallel environments: a process reads DB_PG* and queries its own database on one shared server", async () => {
    const [a, b] = await Promise.all([up(rigd, appSpec("a")), up(rigd, appSpec("b"))]);
    const appA = await endpoint(rigd, a.id, "app");
    const appB = await endpoint(rigd, b.id, "app");
    assert.equal(await query(appA, "SELECT v FROM only_a"), "a");
    assert.equal(await query(appB, "SELECT v FROM only_b"), "b");
    assert.equal(await query(appA, "SELECT to_regclass('only_b') IS NULL"), "t", "A cannot see B's table");
    assert.equal(await query(appB, "SELECT to_regclass('only_a') IS NULL"), "t", "B cannot see A's table");

    const [dbA, dbB] = [await endpoint(rigd, a.id, "db"), await endpoint(rigd, b.id, "db")];
    assert.equal(dbA.port, dbB.port, "one Postgres server");
    assert.notEqual(dbA.attributes["PGDATABASE"], dbB.attributes["PGDATABASE"]);
    assert.equal((await containersOf(rigd.child.pid as number, `${LABEL_POOL}=postgres`)).length, 1);
    const [cacheA, cacheB] = [await endpoint(rigd, a.id, "cache"), await endpoint(rigd, b.id, "cache")];
    assert.equal(cacheA.port, cacheB.port, "one Redis server");
    assert.notEqual(cacheA.attributes["REDIS_DB"], cacheB.attributes["REDIS_DB"]);

    await Promise.all([a, b].map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
  });

  it("a container with a mapped port comes up; its image is an artifact", async () => {
    const env = await up(rigd, {
      name: "web",
      services: [
        {
          name: "web",
          ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
          init: [{ action: { case: "exec", value: { command: ["sh", "-c", "echo hooked > /www/hook.txt"] } } }],
          config: {
            case: "container",
            value: { image: testImages.busybox, cmd: ["sh", "-c", 'mkdir -p /www && echo "$GREETING" > /www/index.html && exec httpd -f -p 80 -h /www'], env: { GREETING: "hi" } },
          },
        },
      ],
    });
    const key = `docker-image:${testImages.busybox}`;
    assert.ok(env.events.some((e) => e.type.startsWith("artifact.") && (e.payload.value as { key?: string }).key === key), "artifact events name the image");
    const web = await endpoint(rigd, env.id, "web");
    assert.equal((await (await fetch(`http://${web.host}:${web.port}/`)).text()).trim(), "hi");
    assert.equal((await (await fetch(`http://${web.host}:${web.port}/hook.txt`)).text()).trim(), "hooked");
    await rigd.client.destroyEnvironment({ environmentId: env.id });
    assert.deepEqual(await containersOf(rigd.child.pid as number, `${LABEL_ENVIRONMENT}=${env.id}`), []);
  });

  it("an image that does not exist: artifact.failed naming it, a clear error, no container", async () => {
    const image = "rig-test/does-not-exist:1";
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({ name: "ghost", services: [{ name: "ghost", config: { case: "container", value: { image } } }] }),
    });
    const events = await collect(rigd, environmentId, (e) => e.type === "environment.down");
    const failed = events.find((e) => e.payload.case === "artifactFailed");
    assert.ok(failed?.payload.case === "artifactFailed" && failed.payload.value.error.includes(image), "artifact.failed names the image");
    const down = events.at(-1);
    assert.ok(down?.payload.case === "environmentDown" && down.payload.value.summary.includes(image), "the summary names the image");
    assert.deepEqual(await containersOf(rigd.child.pid as number, `${LABEL_ENVIRONMENT}=${environmentId}`), []);
  });

  it("a misspelt image: the error suggests the local image with a similar name", async () => {
    const typo = testImages.busybox.replace("busybox", "busybx");
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({ name: "typo", services: [{ name: "box", config: { case: "container", value: { image: typo } } }] }),
    });
    const events = await collect(rigd, environmentId, (e) => e.type === "environment.down");
    const down = events.at(-1);
    assert.ok(down?.payload.case === "environmentDown");
    assert.match(down.payload.value.summary, /failed while resolving artifacts/);
    assert.ok(down.payload.value.summary.includes(`local images with a similar name: ${testImages.busybox}`), down.payload.value.summary);
  });

  it("no engine at DOCKER_HOST: says the engine is not reachable there and what to do", async () => {
    const noEngine = await startRigd({ DOCKER_HOST: "unix:///nonexistent/docker.sock" });
    try {
      const { environmentId } = await noEngine.client.createEnvironment({
        spec: spec({ name: "noengine", services: [{ name: "box", config: { case: "container", value: { image: testImages.busybox } } }] }),
      });
      const events = await collect(noEngine, environmentId, (e) => e.type === "environment.down");
      const down = events.at(-1);
      assert.ok(down?.payload.case === "environmentDown");
      assert.match(
        down.payload.value.summary,
        /service "box" failed while resolving artifacts: .*the Docker engine is not reachable at unix:\/\/\/nonexistent\/docker\.sock \(connect ENOENT .*\): start it/,
      );
    } finally {
      await noEngine.stop();
    }
  });

  /** A container that only sleeps, ready at once: what the kill -9 tests leave behind. */
  const sleepingBox = {
    name: "box",
    ingresses: [{ name: "default", protocol: Protocol.TCP, ready: { kind: ReadinessKind.NONE } }],
    config: { case: "container" as const, value: { image: testImages.busybox, cmd: ["sleep", "600"] } },
  };

  it("after kill -9 of rigd, its watchdog removes its containers", async () => {
    const doomed = await startRigd();
    const pid = doomed.child.pid as number;
    try {
      await up(doomed, { name: "watched", services: [sleepingBox] });
      assert.equal((await containersOf(pid)).length, 1);
      doomed.child.kill("SIGKILL");
      await eventually(async () => (await containersOf(pid)).length === 0, 15_000, "the watchdog to remove the container");
    } finally {
      // Stops it if a step failed before the kill (its environment with it); removes its dir.
      await doomed.stop();
    }
  });

  it("after kill -9 of rigd and its watchdog, the next rigd removes its containers and their network", async (t) => {
    // Its own host label: rigds other specs start meanwhile leave the killed rigd's
    // containers to the next rigd of this test (they reap only orphans of their own host).
    const hostLabel = { RIG_DOCKER_HOST_LABEL: `rig-docker-e2e-${process.pid}` };
    const doomed = await startRigd(hostLabel);
    const pid = doomed.child.pid as number;
    // Killed below; stopped here if a step fails first. Its dir goes whatever happens.
    t.after(() => doomed.stop());
    await up(doomed, {
      name: "doomed",
      services: [
        sleepingBox,
        { name: "db", config: { case: "postgres", value: { runtime: Runtime.DOCKER } } },
      ],
    });
    const before = await containersOf(pid);
    assert.ok(before.length >= 2, `a service container and a pool container run: ${before.join(", ")}`);
    const watchdog = watchdogOf(pid);
    assert.ok(watchdog, "rigd has a watchdog");
    process.kill(watchdog, "SIGKILL");
    doomed.child.kill("SIGKILL");
    await new Promise((r) => doomed.child.once("exit", r));
    await sleep(200);
    assert.deepEqual((await containersOf(pid)).sort(), before.sort(), "nothing removes them while no rigd runs");

    const next = await startRigd(hostLabel);
    try {
      await eventually(async () => (await containersOf(pid)).length === 0, 20_000, "the orphans to be reaped");
      // Networks go after their containers (stopping the next rigd sooner left this one behind).
      const networksOfDead = async (): Promise<number> =>
        (await docker.listNetworks({ filters: { label: [`${LABEL_RIGD_PID}=${pid}`] } })).length;
      await eventually(async () => (await networksOfDead()) === 0, 20_000, "the orphan network to be reaped");
    } finally {
      await next.stop();
    }
  });
});
