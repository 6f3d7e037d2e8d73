/**
 * Pooled Postgres lease time (SPEC §13, issue 4): per-environment time-to-ready of a
 * `postgres` service with a 20-statement schema, side by side in one run:
 *
 *   - rig, pool warm, template cloning on: the schema is applied once into a template;
 *     each environment gets `CREATE DATABASE ... TEMPLATE` (milliseconds);
 *   - rig, pool warm, template cloning off: each environment gets an empty database and
 *     runs the 20 statements through psql;
 *   - the same two with the host runtime (the host's Postgres as children of rigd, no
 *     container): host process versus container, in the same run;
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
 * Host binaries: Debian's postgresql (scripts/install-host-servers.sh); without them the
 * host rows are skipped with the reason.
 */
import { create } from "@bufbuild/protobuf";
import { parseArgs } from "node:util";
import { HookSchema, PostgresConfigSchema, Runtime } from "../gen/rig/v1/spec_pb.js";
import { createDockerClient } from "../docker/docker-client.js";
import { HarnessEnvironment } from "../docker/testing/service-harness.js";
import { rigContainers, testImages, testOwner } from "../docker/testing/test-images.js";
import { findPostgresBinaries } from "../pools/host-binaries.js";
import { testPools } from "../pools/testing/test-pools.js";
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
async function rigOnce(type: ServiceType, statements: string[], runtime = Runtime.DOCKER): Promise<number> {
  const env = await HarnessEnvironment.create("bench");
  try {
    const started = performance.now();
    await env.up({
      name: "db",
      type,
      config: create(PostgresConfigSchema, { runtime }),
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
  const pools = testPools(docker, owner, 600_000);
  const pool = pools.postgres;
  const deps = { docker, pool, runtimes: pools.runtimes, defaultImage: image };
  const withTemplates = createPostgresType({ ...deps, templateDatabases: true });
  const withoutTemplates = createPostgresType({ ...deps, templateDatabases: false });
  let host: string | undefined;
  try {
    const bins = findPostgresBinaries();
    host = `host postgres ${bins.major} (${bins.bindir})`;
  } catch (err) {
    console.log(`  (host runtime skipped: ${err instanceof Error ? err.message : String(err)})`);
  }

  console.log(`postgres time-to-ready per environment, ${statements.length}-statement schema, image ${image}${host ? ` and ${host}` : ""}, ${runs} runs each`);
  try {
    // Warm the pools (server start) and the templates (first build), untimed.
    const warmStart = performance.now();
    await rigOnce(withTemplates, statements);
    console.log(`  (container pool warm-up: server start + first template build ${fmt(performance.now() - warmStart).trim()})`);
    if (host) {
      const hostWarm = performance.now();
      await rigOnce(withTemplates, statements, Runtime.HOST);
      console.log(`  (host pool warm-up: initdb + server start + first template build ${fmt(performance.now() - hostWarm).trim()})`);
    }

    const cloned: number[] = [];
    const migrated: number[] = [];
    const hostCloned: number[] = [];
    const hostMigrated: number[] = [];
    const fresh: number[] = [];
    // Interleave so drift on a shared machine hits every variant alike.
    for (let i = 0; i < runs; i++) {
      cloned.push(await rigOnce(withTemplates, statements));
      migrated.push(await rigOnce(withoutTemplates, statements));
      if (host) {
        hostCloned.push(await rigOnce(withTemplates, statements, Runtime.HOST));
        hostMigrated.push(await rigOnce(withoutTemplates, statements, Runtime.HOST));
      }
      fresh.push(await testcontainersOnce(image, statements));
    }
    const row = (label: string, values: number[]): void =>
      console.log(`  ${label.padEnd(34)} median ${fmt(median(values))}   (min ${fmt(Math.min(...values)).trim()}, max ${fmt(Math.max(...values)).trim()})`);
    const mc = median(cloned);
    const mm = median(migrated);
    const mf = median(fresh);
    row("rig container pool, template clone", cloned);
    row("rig container pool, run schema", migrated);
    if (host) {
      row("rig host pool, template clone", hostCloned);
      row("rig host pool, run schema", hostMigrated);
    }
    row("testcontainers, fresh", fresh);
    console.log(`  ratio testcontainers / rig template clone: ${(mf / mc).toFixed(1)}x`);
    console.log(`  ratio testcontainers / rig run schema:     ${(mf / mm).toFixed(1)}x`);
    console.log(`  ratio run schema / template clone:         ${(mm / mc).toFixed(1)}x`);
    if (host) {
      console.log(`  ratio container / host, template clone:    ${(mc / median(hostCloned)).toFixed(1)}x`);
      console.log(`  ratio container / host, run schema:        ${(mm / median(hostMigrated)).toFixed(1)}x`);
    }
  } finally {
    await pools.close();
    const left = await rigContainers(docker, owner.rigdId);
    if (left.length > 0) console.error(`leaked containers: ${left.join(", ")}`);
    if (pools.recorded.size > 0) console.error(`leaked host servers: ${[...pools.recorded].join(", ")}`);
  }
}

await main();
