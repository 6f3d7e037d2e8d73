/**
 * Postgres and Redis through the SDK against a real rigd and Docker: the README's first
 * test as written (init SQL, an API process reading the database through its egress),
 * the typed URL helpers, and a bad init statement failing `up` with Postgres' message.
 * Skipped when Docker or the test images are not there (scripts/build-test-images.sh).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { RigEnvironmentError, rig } from "../index.js";
import { fixture } from "../test-fixtures/run-node.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

const postgresImage = process.env.RIG_TEST_POSTGRES_IMAGE ?? "rig-test/postgres:16";
const redisImage = process.env.RIG_TEST_REDIS_IMAGE ?? "rig-test/redis:7";

function missing(...images: string[]): string | false {
  try {
    execFileSync("docker", ["image", "inspect", ...images], { stdio: "ignore" });
    return false;
  } catch {
    return `needs Docker and ${images.join(", ")} (scripts/build-test-images.sh)`;
  }
}

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose()); // stopping rigd removes its pooled servers

test("the README's first test: init SQL, and an API reading the database through its egress", { skip: missing(postgresImage) }, async (t) => {
  const env = await rig.up(t, {
    db: rig.postgres().image(postgresImage).initSql("create table orders (id int)", "insert into orders values (1)"),
    api: rig.node(fixture("psql-api.js")).egress("db"),
  });
  const res = await fetch(`${env.url("api")}/orders`);
  assert.deepEqual(await res.json(), [{ id: 1 }]);

  const url = new URL(env.postgresUrl("db"));
  assert.equal(url.protocol, "postgres:");
  assert.equal(url.port, String(env.endpoint("db").port));
  assert.equal(decodeURIComponent(url.pathname.slice(1)), env.endpoint("db").attributes.PGDATABASE);
});

test("a bad init statement fails up with Postgres' message", { skip: missing(postgresImage) }, async () => {
  const up = rig.up({ db: rig.postgres().image(postgresImage).initSql("create tabel oops (id int)") });
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigEnvironmentError, String(err));
    assert.equal(err.failedService, "db");
    assert.match(err.message, /syntax error/);
    return true;
  });
});

test("redisUrl points at a Redis that answers", { skip: missing(redisImage) }, async (t) => {
  const env = await rig.up(t, { cache: rig.redis().image(redisImage) });
  const url = new URL(env.redisUrl("cache"));
  assert.equal(url.protocol, "redis:");
  const socket = connect(Number(url.port), url.hostname);
  t.after(() => socket.destroy());
  socket.write("PING\r\n");
  const [reply] = (await once(socket, "data")) as [Buffer];
  assert.equal(reply.toString(), "+PONG\r\n");
});
