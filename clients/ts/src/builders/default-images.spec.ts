/**
 * Postgres and Redis images follow the test process: RIG_POSTGRES_IMAGE /
 * RIG_REDIS_IMAGE set in the test fill the image of a service whose builder names none,
 * even when a rigd started earlier (with other settings) serves the test. rigd's own
 * default stays the last resort. The end-to-end case needs Docker and the local test
 * images.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { HandlerRegistry, buildSpec, rig } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

const postgresImage = process.env.RIG_TEST_POSTGRES_IMAGE ?? "rig-test/postgres:16";
const redisImage = process.env.RIG_TEST_REDIS_IMAGE ?? "rig-test/redis:7";
const saved = { pg: process.env.RIG_POSTGRES_IMAGE, redis: process.env.RIG_REDIS_IMAGE };

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

after(() => {
  restore("RIG_POSTGRES_IMAGE", saved.pg);
  restore("RIG_REDIS_IMAGE", saved.redis);
});

function images(): Array<string | undefined> {
  const spec = buildSpec({ db: rig.postgres(), cache: rig.redis(), pinned: rig.postgres().image("postgres:15") }, {}, new HandlerRegistry());
  return spec.services.map((s) => (s.config.case === "postgres" || s.config.case === "redis" ? s.config.value.image : undefined));
}

test("the spec carries the test process's RIG_POSTGRES_IMAGE / RIG_REDIS_IMAGE; an explicit image wins", () => {
  process.env.RIG_POSTGRES_IMAGE = "example/pg:1";
  process.env.RIG_REDIS_IMAGE = "example/redis:1";
  assert.deepEqual(images(), ["example/pg:1", "example/redis:1", "postgres:15"]);
  delete process.env.RIG_POSTGRES_IMAGE;
  delete process.env.RIG_REDIS_IMAGE;
  assert.deepEqual(images(), ["", "", "postgres:15"], "unset: rigd's default applies");
});

function missing(...names: string[]): string | false {
  try {
    execFileSync("docker", ["image", "inspect", ...names], { stdio: "ignore" });
    return false;
  } catch {
    return `needs Docker and ${names.join(", ")} (scripts/build-test-images.sh)`;
  }
}

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

test(
  "end to end: a rigd started with other default images serves the test's images",
  { skip: missing(postgresImage, redisImage) },
  async (t) => {
    // rigd starts (auto-start passes the environment on) with images that do not exist.
    process.env.RIG_POSTGRES_IMAGE = "rig-test/absent-postgres:0";
    process.env.RIG_REDIS_IMAGE = "rig-test/absent-redis:0";
    await (await rig.up({ warm: httpFunc() })).down();
    // Then the test sets its own, as a test run with RIG_POSTGRES_IMAGE=... would.
    process.env.RIG_POSTGRES_IMAGE = postgresImage;
    process.env.RIG_REDIS_IMAGE = redisImage;
    const env = await rig.up(t, { db: rig.postgres().initSql("create table t (id int)"), cache: rig.redis() }, { startupTimeout: "3m" });
    assert.match(env.postgresUrl("db"), /^postgres:\/\//);
    assert.match(env.redisUrl("cache"), /^redis:\/\//);
  },
);
