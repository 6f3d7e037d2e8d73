import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import * as net from "node:net";
import { after, before, describe, it } from "node:test";
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { HookSchema, PostgresConfigSchema, type Hook } from "../gen/rig/v1/spec_pb.js";
import { execInContainer } from "../docker/container-exec.js";
import { createDockerClient, engineReachable } from "../docker/docker-client.js";
import { HarnessEnvironment, type HarnessService } from "../docker/testing/service-harness.js";
import { rigContainers, testImages, testOwner } from "../docker/testing/test-images.js";
import { sqlHash } from "../pools/postgres-backend.js";
import { poolKey } from "../pools/server-runtime.js";
import { testPools } from "../pools/testing/test-pools.js";
import { Runtime } from "../gen/rig/v1/spec_pb.js";
import { createPostgresType } from "./postgres.js";

const docker = createDockerClient();
const owner = testOwner("postgres");
const pools = testPools(docker, owner);
const pool = pools.postgres;
const postgresType = createPostgresType({ docker, pool, runtimes: pools.runtimes, defaultImage: testImages.postgres });

function sql(...statements: string[]): Hook {
  return create(HookSchema, { action: { case: "sql", value: { statements } } });
}
function exec(...command: string[]): Hook {
  return create(HookSchema, { action: { case: "exec", value: { command } } });
}

/** Runs a query with the endpoint's credentials over TCP inside the server container (no driver in rigd). */
async function query(endpoint: Endpoint, text: string): Promise<string> {
  const a = endpoint.attributes;
  const [container] = await rigContainers(docker, owner.rigdId);
  assert.ok(container, "the pooled server runs");
  const result = await execInContainer(docker, container, ["psql", "-X", "-At", "-h", "127.0.0.1", "-U", a["PGUSER"]!, "-d", a["PGDATABASE"]!, "-c", text], {
    env: { PGPASSWORD: a["PGPASSWORD"]! },
  });
  assert.equal(result.exitCode, 0, result.stderr);
  return result.stdout.trim();
}

/** Sends a Postgres SSLRequest to host:port and returns the one-byte answer ('N' or 'S'). */
function sslRequest(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port }, () => {
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4);
      socket.write(request);
    });
    socket.once("data", (data) => {
      socket.destroy();
      resolve(data.subarray(0, 1).toString());
    });
    socket.once("error", reject);
  });
}

const postgres = (init: Hook[] = []): { name: string; type: typeof postgresType; config: unknown; init: Hook[] } => ({
  name: "db",
  type: postgresType,
  config: create(PostgresConfigSchema, { runtime: Runtime.DOCKER }),
  init,
});

describe("postgres type (real engine)", () => {
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
  });
  after(async () => {
    await pools.close();
    assert.deepEqual(await rigContainers(docker, owner.rigdId), [], "no container of this spec may remain");
  });

  it("gives two environments their own database on one shared server", async () => {
    await using envA = await HarnessEnvironment.create("pga");
    await using envB = await HarnessEnvironment.create("pgb");
    const [a, b] = await Promise.all([
      envA.up(postgres([sql("CREATE TABLE only_in_a (id int)", "INSERT INTO only_in_a VALUES (1)")])),
      envB.up(postgres([sql("CREATE TABLE only_in_b (id int)")])),
    ]);
    const ea = a.endpoints["default"]!;
    const eb = b.endpoints["default"]!;
    assert.equal(pool.keys().length, 1);
    assert.equal((await rigContainers(docker, owner.rigdId)).length, 1, "one container for both");
    assert.equal(ea.port, eb.port);
    assert.notEqual(ea.attributes["PGDATABASE"], eb.attributes["PGDATABASE"]);
    assert.match(ea.attributes["PGDATABASE"]!, /^db_/);
    assert.equal(ea.attributes["PGHOST"], "127.0.0.1");
    assert.equal(ea.attributes["PGPORT"], String(ea.port));
    assert.equal(
      ea.attributes["DATABASE_URL"],
      `postgres://${ea.attributes["PGUSER"]}:${ea.attributes["PGPASSWORD"]}@127.0.0.1:${ea.port}/${ea.attributes["PGDATABASE"]}?sslmode=disable`,
    );
    assert.equal(await sslRequest(ea.host, ea.port), "N", "a Postgres server answers on the published port");

    assert.equal(await query(ea, "SELECT count(*) FROM only_in_a"), "1");
    assert.equal(await query(eb, "SELECT to_regclass('only_in_a') IS NULL"), "t", "B cannot see A's table");
    assert.equal(await query(ea, "SELECT to_regclass('only_in_b') IS NULL"), "t", "A cannot see B's table");

    const dbA = ea.attributes["PGDATABASE"]!;
    await envA.down();
    assert.equal(await query(eb, `SELECT count(*) FROM pg_database WHERE datname = '${dbA}'`), "0", "released database is dropped");
  });

  it("builds a template once for identical init SQL and clones it", async () => {
    const statements = ["CREATE TABLE accounts (id serial PRIMARY KEY, name text)", "INSERT INTO accounts (name) VALUES ('seed')"];
    const schema = [sql(...statements)];
    const templateOf = (hooks: string[][]): string => `rig_tpl_${sqlHash(hooks).slice(0, 24)}`;
    const exists = async (db: string): Promise<string> =>
      query(first.endpoints["default"]!, `SELECT count(*) FROM pg_database WHERE datname = '${db}'`);
    await using env1 = await HarnessEnvironment.create("tpl1");
    await using env2 = await HarnessEnvironment.create("tpl2");
    const first = await env1.up(postgres(schema));
    const second = await env2.up(postgres(schema));
    for (const svc of [first, second]) {
      assert.equal(await query(svc.endpoints["default"]!, "SELECT name FROM accounts"), "seed");
      await svc.waitForLine(new RegExp(`already applied: database cloned from template ${templateOf([statements])}$`));
    }
    const e1 = first.endpoints["default"]!;
    assert.equal(await exists(templateOf([statements])), "1");
    // Each clone is its own database: writes in one do not show in the other.
    await query(e1, "INSERT INTO accounts (name) VALUES ('only-first')");
    assert.equal(await query(second.endpoints["default"]!, "SELECT count(*) FROM accounts"), "1");

    // Different SQL: a different template; a later non-SQL hook still runs.
    await using env3 = await HarnessEnvironment.create("tpl3");
    const third = await env3.up(
      postgres([sql("CREATE TABLE other (id int)"), exec("sh", "-c", 'psql -X -At -c "SELECT current_database()"')]),
    );
    await third.waitForLine(new RegExp(`^${third.endpoints["default"]!.attributes["PGDATABASE"]}$`));
    assert.equal(await exists(templateOf([["CREATE TABLE other (id int)"]])), "1");
  });

  it("SQL that fails reports psql's error, and leaves no template behind", async () => {
    const statements = ["CREATE TABLE fine (id int)", "CREATE TABLE broken (id nosuchtype)"];
    await using env = await HarnessEnvironment.create("bad");
    await assert.rejects(
      env.up(postgres([sql(...statements)])),
      (err: Error) => /init SQL hook exited with code 3/.test(err.message) && /nosuchtype/.test(err.message),
    );
    await env.down();
    await using probe = await HarnessEnvironment.create("probe");
    const svc: HarnessService = await probe.up(postgres());
    const template = `rig_tpl_${sqlHash([statements]).slice(0, 24)}`;
    assert.equal(await query(svc.endpoints["default"]!, `SELECT count(*) FROM pg_database WHERE datname = '${template}'`), "0");
  });

  it("runs exec hooks inside the server with the environment's database selected", async () => {
    await using env = await HarnessEnvironment.create("exec");
    const svc = await env.up(postgres([exec("sh", "-c", 'psql -X -At -c "SELECT current_database()"; echo "url=$DATABASE_URL"')]));
    const db = svc.endpoints["default"]!.attributes["PGDATABASE"]!;
    await svc.waitForLine(new RegExp(`^${db}$`));
    await svc.waitForLine(new RegExp(`^url=postgres://.*@127\\.0\\.0\\.1:5432/${db}\\?sslmode=disable$`));
  });

  it("an image that does not exist fails naming the image, and leaves no container", async () => {
    await using env = await HarnessEnvironment.create("noimg");
    const image = "rig-test/no-such-postgres:0";
    const spec = { ...postgres(), config: create(PostgresConfigSchema, { image, runtime: Runtime.DOCKER }) };
    await assert.rejects(env.artifacts(spec), (err: Error) => err.message.includes(`"${image}"`));
    await assert.rejects(
      env.up({ ...spec, type: { ...postgresType, artifacts: () => [] } }),
      (err: Error) => err.message.includes(`"${image}"`),
    );
    assert.ok(!pool.keys().includes(poolKey("docker", image)), "the failed start is forgotten");
    const names = await rigContainers(docker, owner.rigdId);
    assert.equal(names.length, 1, `only the ${testImages.postgres} server: ${names.join(", ")}`);
  });
});
