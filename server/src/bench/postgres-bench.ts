/**
 * Pooled Postgres lease time (SPEC §13, issue 4): per-environment time-to-ready of a
 * `postgres` service with a 20-statement schema, side by side in one run:
 *
 *   - rig, pool warm, template cloning on: the schema is applied once into a template;
 *     each environment gets `CREATE DATABASE ... TEMPLATE` (milliseconds);
 *   - rig, pool warm, template cloning off: each environment gets an empty database and
 *     runs the 20 statements through psql;
 *   - testcontainers: a fresh `GenericContainer` from the same image per test, waiting
 *     for the official image's "ready to accept connections" (twice: init server, then
 *     the real one), then the same 20 statements through psql.
 *
 * Time-to-ready is measured from "the test asks" to "the database is ready with the
 * schema": for rig through the type's publish -> start -> readiness -> init hooks (the
 * orchestrator's path, see docker/testing/service-harness.ts), for testcontainers
 * start() plus the schema. Teardown is not timed. Prints medians and ratios; asserts nothing.
 *
 *   node server/dist/bench/postgres-bench.js [--runs 15]
 *
 * Image: $RIG_TEST_POSTGRES_IMAGE (default rig-test/postgres:16, see scripts/build-test-images.sh).
 */
import { create } from "@bufbuild/protobuf";
import { parseArgs } from "node:util";
import { HookSchema, PostgresConfigSchema } from "../gen/rig/v1/spec_pb.js";
import { createDockerClient } from "../docker/docker-client.js";
import { HarnessEnvironment } from "../docker/testing/service-harness.js";
import { rigContainers, testImages, testOwner } from "../docker/testing/test-images.js";
import { createPostgresPool } from "../pools/postgres-backend.js";
import { sqlScript } from "../pools/psql.js";
import { createPostgresType } from "../services/postgres.js";
import type { ServiceType } from "../contract/service-type.js";

// No registry here: testcontainers must not try to pull its reaper image.
process.env["TESTCONTAINERS_RYUK_DISABLED"] ??= "true";

/** A 20-statement schema: ten tables, each with an index. */
function schema(): string[] {
  const statements: string[] = [];
  for (let i = 1; i <= 10; i++) {
    statements.push(
      `CREATE TABLE t${i} (id bigserial PRIMARY KEY, name text NOT NULL, ref bigint, payload jsonb, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    statements.push(`CREATE INDEX t${i}_name_idx ON t${i} (name, created_at)`);
  }
  return statements;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function fmt(ms: number): string {
  return `${ms.toFixed(1).padStart(8)} ms`;
}

/** One rig environment up to ready with the schema; returns ms. */
async function rigOnce(type: ServiceType, statements: string[]): Promise<number> {
  const env = await HarnessEnvironment.create("bench");
  try {
    const started = performance.now();
    await env.up({
      name: "db",
      type,
      config: create(PostgresConfigSchema, {}),
      init: [create(HookSchema, { action: { case: "sql", value: { statements } } })],
    });
    return performance.now() - started;
  } finally {
    await env.down();
  }
}

/** One testcontainers container up to ready with the schema; returns ms. */
async function testcontainersOnce(image: string, statements: string[]): Promise<number> {
  const { GenericContainer, Wait } = await import("testcontainers");
  const started = performance.now();
  const container = await new GenericContainer(image)
    .withEnvironment({ POSTGRES_USER: "test", POSTGRES_PASSWORD: "test", POSTGRES_DB: "test" })
    // Same server settings and storage as rig's pooled server, so only the approach differs.
    .withCommand(["postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"])
    .withTmpFs({ "/var/lib/postgresql/data": "rw" })
    .withExposedPorts(5432)
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  try {
    const result = await container.exec(["sh", "-c", `psql -X -q -v ON_ERROR_STOP=1 -U test -d test <<'EOF'\n${sqlScript(statements)}\nEOF`]);
    if (result.exitCode !== 0) throw new Error(`schema failed: ${result.output}`);
    return performance.now() - started;
  } finally {
    await container.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "15" } } });
  const runs = Math.max(1, Number(values.runs));
  const image = testImages.postgres;
  const statements = schema();
  const docker = createDockerClient();
  const owner = testOwner("bench");
  const pool = createPostgresPool({ docker, owner, idleMs: 600_000 });
  const withTemplates = createPostgresType({ docker, pool, defaultImage: image, templateDatabases: true });
  const withoutTemplates = createPostgresType({ docker, pool, defaultImage: image, templateDatabases: false });

  console.log(`postgres time-to-ready per environment, ${statements.length}-statement schema, image ${image}, ${runs} runs each`);
  try {
    // Warm the pool (server start) and the template (first build), untimed.
    const warmStart = performance.now();
    await rigOnce(withTemplates, statements);
    console.log(`  (pool warm-up: server start + first template build ${fmt(performance.now() - warmStart).trim()})`);

    const cloned: number[] = [];
    const migrated: number[] = [];
    const fresh: number[] = [];
    // Interleave so drift on a shared machine hits every variant alike.
    for (let i = 0; i < runs; i++) {
      cloned.push(await rigOnce(withTemplates, statements));
      migrated.push(await rigOnce(withoutTemplates, statements));
      fresh.push(await testcontainersOnce(image, statements));
    }
    const mc = median(cloned);
    const mm = median(migrated);
    const mf = median(fresh);
    console.log(`  rig pool, template clone   median ${fmt(mc)}   (min ${fmt(Math.min(...cloned)).trim()}, max ${fmt(Math.max(...cloned)).trim()})`);
    console.log(`  rig pool, run schema       median ${fmt(mm)}   (min ${fmt(Math.min(...migrated)).trim()}, max ${fmt(Math.max(...migrated)).trim()})`);
    console.log(`  testcontainers, fresh      median ${fmt(mf)}   (min ${fmt(Math.min(...fresh)).trim()}, max ${fmt(Math.max(...fresh)).trim()})`);
    console.log(`  ratio testcontainers / rig template clone: ${(mf / mc).toFixed(1)}x`);
    console.log(`  ratio testcontainers / rig run schema:     ${(mf / mm).toFixed(1)}x`);
    console.log(`  ratio run schema / template clone:         ${(mm / mc).toFixed(1)}x`);
  } finally {
    await pool.closeAll();
    const left = await rigContainers(docker, owner.rigdId);
    if (left.length > 0) console.error(`leaked containers: ${left.join(", ")}`);
  }
}

await main();
