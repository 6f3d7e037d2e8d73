/**
 * Postgres and Redis without Docker (issue 15): the same isolation as the container
 * pools, through a real rigd, with the host's `postgres` and `redis-server` run by rigd.
 *
 *  - auto: rigd's DOCKER_HOST names a socket that does not exist, so no engine answers
 *    and the pools pick the host;
 *  - `runtime: host` explicitly, on a rigd that may well have an engine;
 *  - a rigd killed with SIGKILL leaves its host servers running; the next rigd on the
 *    same RIG_DIR kills them and removes their data dirs.
 *
 * Every test checks that no server process, data dir or database is left.
 * Needs Debian's postgresql and redis-server (scripts/install-host-servers.sh).
 */
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { Runtime } from "../gen/rig/v1/spec_pb.js";
import { findPostgresBinaries, findRedisBinaries } from "../pools/host-binaries.js";
import { HOST_SERVER_PORTS } from "../pools/server-runtime.js";
import { bearer, eventually, readRigdToken, RIGD_MAIN, spec } from "../testing/rigd-harness.js";

const NO_ENGINE = { DOCKER_HOST: "unix:///nonexistent/docker.sock" };

interface TestRigd {
  readonly child: ReturnType<typeof spawn>;
  readonly client: Client<typeof EnvironmentService>;
  readonly pid: number;
  stop(): Promise<void>;
}

async function spawnRigd(rigDir: string, env: Record<string, string> = {}): Promise<TestRigd> {
  const addrFile = join(rigDir, "rigd.addr");
  rmSync(addrFile, { force: true });
  const child = spawn(process.execPath, [RIGD_MAIN, "--rig-dir", rigDir, "--addr-file", addrFile], {
    env: { ...process.env, ...env },
    stdio: "ignore",
  });
  await eventually(() => existsSync(addrFile), 20_000, "the addr file");
  const address = readFileSync(addrFile, "utf8").trim();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    pid: child.pid as number,
    client: createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(readRigdToken(addrFile))] })),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

/**
 * Server processes of rigd `pid` (postgres with its backends, redis-server): they run
 * in their server dir, whose name carries `<kind>-<rigd pid>-` (redis-server rewrites
 * its command line, so the working dir is what finds them). And those dirs, when in /tmp.
 */
function serversOf(pid: number): { processes: number[]; dirs: string[] } {
  const processes: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (new RegExp(`(postgres|redis)-${pid}-`).test(cwd) && state !== "Z") processes.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  const dirs = readdirSync(tmpdir()).filter((d) => d.startsWith(`rig-pool-postgres-${pid}-`) || d.startsWith(`rig-pool-redis-${pid}-`));
  return { processes, dirs };
}

function leftoverPoolDirs(rigDir: string): string[] {
  const dir = join(rigDir, "pools");
  return existsSync(dir) ? readdirSync(dir) : [];
}

const pooled = (name: string, sql: string[], runtime: Runtime) => ({
  name,
  services: [
    { name: "db", config: { case: "postgres" as const, value: { runtime } }, init: [{ action: { case: "sql" as const, value: { statements: sql } } }] },
    {
      name: "cache",
      config: { case: "redis" as const, value: { runtime } },
      init: [{ action: { case: "exec" as const, value: { command: ["sh", "-c", `redis-cli -u "$REDIS_URL" SET owner ${name}`] } } }],
    },
  ],
});

/** Creates an environment, waits for it to be up, returns its id and the db and cache endpoints. */
async function up(rigd: TestRigd, init: ReturnType<typeof pooled>): Promise<{ id: string; db: Endpoint; cache: Endpoint }> {
  const { environmentId } = await rigd.client.createEnvironment({ spec: spec(init) });
  let last = "";
  for await (const res of rigd.client.watchEvents({ environmentId }, { signal: AbortSignal.timeout(90_000) })) {
    last = res.event?.type ?? last;
    if (last === "environment.up" || last === "environment.down") break;
  }
  const { environment } = await rigd.client.getEnvironment({ environmentId });
  const endpoint = (service: string): Endpoint => {
    const state = environment?.services.find((s) => s.name === service);
    const found = state?.ingresses["default"];
    assert.ok(found, `${service} has an endpoint (last event ${last}; ${state?.error ?? ""})`);
    return found;
  };
  assert.equal(last, "environment.up", `environment ${init.name} came up: ${environment?.services.map((s) => `${s.name}: ${s.error}`).join("; ")}`);
  return { id: environmentId, db: endpoint("db"), cache: endpoint("cache") };
}

/** A query through the host's psql with the endpoint's own credentials, over TCP. */
function query(db: Endpoint, sql: string): string {
  const a = db.attributes;
  return execFileSync(findPostgresBinaries().psql, ["-X", "-At", "-h", db.host, "-p", String(db.port), "-U", a["PGUSER"]!, "-d", a["PGDATABASE"]!, "-c", sql], {
    env: { ...process.env, PGPASSWORD: a["PGPASSWORD"]! },
    encoding: "utf8",
  }).trim();
}

function redisGet(cache: Endpoint, key: string): string {
  return execFileSync(findRedisBinaries().redisCli, ["-u", cache.attributes["REDIS_URL"]!, "GET", key], { encoding: "utf8" }).trim();
}

/** Two parallel environments get their own database and db number; destroying one cleans it up. */
async function isolation(rigd: TestRigd, runtime: Runtime): Promise<void> {
  const shared = ["CREATE TABLE accounts (id int)", "INSERT INTO accounts VALUES (1)"];
  const [a, b] = await Promise.all([up(rigd, pooled("a", [...shared], runtime)), up(rigd, pooled("b", [...shared], runtime))]);

  // Postgres: one host server, a database each, with the attributes of the container pool.
  assert.equal(a.db.port, b.db.port, "one server for both");
  assert.ok(a.db.port >= HOST_SERVER_PORTS[0] && a.db.port <= HOST_SERVER_PORTS[1], `a host server port: ${a.db.port}`);
  const pa = a.db.attributes;
  assert.notEqual(pa["PGDATABASE"], b.db.attributes["PGDATABASE"]);
  assert.equal(pa["PGHOST"], "127.0.0.1");
  assert.equal(pa["PGPORT"], String(a.db.port));
  assert.equal(pa["DATABASE_URL"], `postgres://${pa["PGUSER"]}:${pa["PGPASSWORD"]}@127.0.0.1:${a.db.port}/${pa["PGDATABASE"]}?sslmode=disable`);
  assert.equal(query(a.db, "SELECT count(*) FROM accounts"), "1", "init SQL applied (from the template)");
  query(a.db, "INSERT INTO accounts VALUES (2)");
  assert.equal(query(b.db, "SELECT count(*) FROM accounts"), "1", "B does not see A's rows");
  assert.equal(query(a.db, "SELECT count(*) FROM pg_database WHERE datname LIKE 'rig_tpl_%'"), "1", "one template for identical init SQL");

  // Redis: one host server, a db number each.
  assert.equal(a.cache.port, b.cache.port);
  assert.notEqual(a.cache.attributes["REDIS_DB"], b.cache.attributes["REDIS_DB"]);
  assert.notEqual(a.cache.attributes["REDIS_DB"], "0");
  assert.equal(a.cache.attributes["REDIS_URL"], `redis://127.0.0.1:${a.cache.port}/${a.cache.attributes["REDIS_DB"]}`);
  assert.equal(redisGet(a.cache, "owner"), "a");
  assert.equal(redisGet(b.cache, "owner"), "b");

  await rigd.client.destroyEnvironment({ environmentId: a.id });
  assert.equal(query(b.db, `SELECT count(*) FROM pg_database WHERE datname = '${pa["PGDATABASE"]}'`), "0", "A's database is dropped");
  assert.equal(redisGet(a.cache, "owner"), "", "A's db number is flushed");
  assert.equal(redisGet(b.cache, "owner"), "b", "B's keys are untouched");
  await rigd.client.destroyEnvironment({ environmentId: b.id });
  assert.equal(query({ ...b.db, attributes: { ...b.db.attributes, PGDATABASE: "postgres" } } as Endpoint, "SELECT count(*) FROM pg_database WHERE datname LIKE 'db_%'"), "0", "no database left");
}

describe("postgres and redis on the host runtime (real rigd, real host servers)", () => {
  it("auto picks the host when no Docker engine answers; two environments are isolated; nothing is left", async () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-hostdb-"));
    const rigd = await spawnRigd(rigDir, NO_ENGINE);
    try {
      await isolation(rigd, Runtime.UNSPECIFIED);
      assert.ok(serversOf(rigd.pid).processes.length >= 2, "the host servers (postgres, redis-server) run until rigd stops");
    } finally {
      await rigd.stop();
      const left = serversOf(rigd.pid);
      rmSync(rigDir, { recursive: true, force: true });
      assert.deepEqual(left, { processes: [], dirs: [] }, "rigd's shutdown stops its host servers and removes their dirs");
    }
  });

  it("runtime host runs host servers even when an engine may answer", async () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-hostdb-"));
    const rigd = await spawnRigd(rigDir);
    try {
      await isolation(rigd, Runtime.HOST);
    } finally {
      await rigd.stop();
      const left = serversOf(rigd.pid);
      const dirs = leftoverPoolDirs(rigDir);
      rmSync(rigDir, { recursive: true, force: true });
      assert.deepEqual(left, { processes: [], dirs: [] });
      assert.deepEqual(dirs, [], "no server dir in RIG_DIR/pools");
    }
  });

  it("the next rigd kills the host servers of a rigd killed with SIGKILL and removes their dirs", async () => {
    const rigDir = mkdtempSync(join(tmpdir(), "rig-hostdb-"));
    const first = await spawnRigd(rigDir, NO_ENGINE);
    let second: TestRigd | undefined;
    try {
      await up(first, pooled("doomed", ["CREATE TABLE t (id int)"], Runtime.HOST));
      const before = serversOf(first.pid);
      assert.ok(before.processes.length >= 2, `postgres and redis run: ${before.processes.join(", ")}`);
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("exit", r));
      await sleep(200);
      assert.ok(serversOf(first.pid).processes.length >= 2, "a killed rigd leaves its host servers running");

      second = await spawnRigd(rigDir, NO_ENGINE);
      await eventually(() => serversOf(first.pid).processes.length === 0, 15_000, "the orphaned host servers to be killed");
      await eventually(() => serversOf(first.pid).dirs.length === 0 && leftoverPoolDirs(rigDir).length === 0, 5_000, "their dirs to be removed");
    } finally {
      for (const pid of serversOf(first.pid).processes) process.kill(pid, "SIGKILL");
      first.child.kill("SIGKILL");
      await second?.stop();
      rmSync(rigDir, { recursive: true, force: true });
    }
  });
});
