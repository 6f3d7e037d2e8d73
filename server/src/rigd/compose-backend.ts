/**
 * The composition root of rigd: the one place that builds every service type, pool and
 * plan transform and hands them to the orchestrator. A new service type is one file
 * under `services/` and one `register` line here.
 *
 * Docker-backed types are registered even without an engine; they fail at use with a
 * message saying the engine is unreachable, so process-only users need no Docker.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { ServiceType } from "../contract/service-type.js";
import { TypeRegistry } from "../contract/type-registry.js";
import { createDockerClient } from "../docker/docker-client.js";
import { orphansLeft, pidIsAlive, reapOrphanNetworks, reapOrphans } from "../docker/reaper.js";
import { SharedContainers } from "../docker/shared-containers.js";
import { insertProxies } from "../observe/observe-transform.js";
import { createProxyType } from "../observe/proxy-type.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { reapOrphanedRunDirs } from "../orchestrator/run-dirs.js";
import { startWatchdog } from "../os/watchdog.js";
import { reapHostServerDirs } from "../pools/host-server-dir.js";
import { createKafkaPool } from "../pools/kafka-backend.js";
import { startKafkaBroker } from "../pools/kafka-broker.js";
import { SchemaStore } from "../pools/kafka-schema-store.js";
import { createPostgresPool } from "../pools/postgres-backend.js";
import { dockerPostgresRuntime } from "../pools/postgres-docker-runtime.js";
import { hostPostgresRuntime } from "../pools/postgres-host-runtime.js";
import { createRedisPool } from "../pools/redis-backend.js";
import { dockerRedisRuntime } from "../pools/redis-docker-runtime.js";
import { hostRedisRuntime } from "../pools/redis-host-runtime.js";
import { HOST_SERVER_PORTS, RuntimeChooser, runtimeByKey } from "../pools/server-runtime.js";
import { PortAllocator } from "../ports/port-allocator.js";
import { createClientType } from "../services/client.js";
import { createContainerType } from "../services/container.js";
import { createKafkaType } from "../services/kafka.js";
import { createPostgresType } from "../services/postgres.js";
import { createProcessHost, createProcessType } from "../services/process.js";
import { createGoType } from "../services/go.js";
import { GoBuilder } from "../artifacts/go-build.js";
import { NodeBuilder } from "../artifacts/node-build.js";
import { createNodeType } from "../services/node.js";
import { createMotoPool } from "../pools/moto-backend.js";
import { createS3Type } from "../services/s3.js";
import { createSqsType } from "../services/sqs.js";
import { createTemporalPool } from "../pools/temporal-backend.js";
import { createTemporalType } from "../services/temporal.js";
import { ProcessRecords } from "../os/process-records.js";
import { createRedisType } from "../services/redis.js";
import { createTestNodeType } from "../services/test-node.js";
import type { BackendContext } from "./start-rigd.js";

/** What a caller (a test, a plugin host) adds to the built-in composition. */
export interface CompositionOptions {
  /** Service types registered after the built-in ones (names must not clash). */
  readonly extraTypes?: readonly ServiceType[];
}

/** Builds the orchestrator rigd serves, and starts reaping what a dead rigd left. */
export function composeBackend(context: BackendContext, options: CompositionOptions = {}): Orchestrator {
  const log = context.logger.child({ component: "compose" });

  const records = new ProcessRecords(join(context.rigDir, "run", "processes"));
  const reapedPids = records.reapOrphans();
  if (reapedPids.length > 0) log.warn({ reaped: reapedPids }, "killed processes left by a rigd that died");
  const reapedDirs = reapOrphanedRunDirs(context.rigDir);
  if (reapedDirs.length > 0) log.warn({ reaped: reapedDirs }, "removed temp dirs left by a rigd that died");
  // Kills this rigd's process trees and removes its dirs and containers if it dies.
  const watchdog = startWatchdog();
  // After their processes (host Postgres/Redis servers) are dead: their data dirs.
  const reapedServerDirs = reapHostServerDirs(context.rigDir);
  if (reapedServerDirs.length > 0) log.warn({ reaped: reapedServerDirs }, "removed host server dirs left by a rigd that died");

  const docker = createDockerClient();
  // The host name rigd's containers carry and its reaper matches (pids are per host):
  // the machine's, unless RIG_DOCKER_HOST_LABEL names another, for rigds that share one
  // engine but not one pid namespace (and for tests whose killed rigd's containers other
  // rigds of the suite must leave to the next one).
  const host = process.env["RIG_DOCKER_HOST_LABEL"] || undefined;
  // Reap in the background: an absent engine must not delay (or fail) start-up. Half a
  // second in, and dockerode (lazy, ~90 ms to load) only when the engine's socket lists
  // something of a dead rigd: a rigd that never touches Docker never loads it.
  setTimeout(() => {
    orphansLeft(pidIsAlive, { host })
      .then(async (left) => {
        if (left === false) return;
        const reaped = await reapOrphans(docker, pidIsAlive, { host });
        if (reaped.length > 0) log.warn({ reaped: reaped.map((r) => r.name) }, "removed containers left by a rigd that died");
        const networks = await reapOrphanNetworks(docker, pidIsAlive, { host });
        if (networks.length > 0) log.warn({ reaped: networks.map((n) => n.name) }, "removed networks left by a rigd that died");
      })
      .catch((err: unknown) => log.debug({ err }, "no docker engine to reap"));
  }, 500).unref();
  const owner = { rigdId: `${process.pid}-${randomBytes(4).toString("hex")}`, pid: process.pid, host };
  // Pooled servers run in containers, or as host processes (runtime host, or auto without an engine).
  const runtimes = new RuntimeChooser(docker);
  const poolLog = (pool: string) => context.logger.child({ component: "pools", pool });
  const hostServers = (pool: string) => ({ rigDir: context.rigDir, records, ports: hostPorts, log: poolLog(pool) });
  const hostPorts = new PortAllocator("127.0.0.1", HOST_SERVER_PORTS);
  const postgresPool = createPostgresPool({
    runtimeOf: runtimeByKey(
      (image) => dockerPostgresRuntime({ docker, owner, log: poolLog("postgres") }, image),
      () => hostPostgresRuntime(hostServers("postgres")),
    ),
    log: poolLog("postgres"),
  });
  const redisPool = createRedisPool({
    runtimeOf: runtimeByKey(
      (image) => dockerRedisRuntime({ docker, owner, log: poolLog("redis") }, image),
      () => hostRedisRuntime(hostServers("redis")),
    ),
    log: poolLog("redis"),
  });
  const kafkaPool = (dedicated: boolean) =>
    createKafkaPool({ dedicated, startBroker: (signal) => startKafkaBroker(hostServers("kafka"), signal), log: poolLog("kafka") });
  const kafkaShared = kafkaPool(false);
  const kafkaDedicated = kafkaPool(true);
  // Avro schemas of every environment's registry, by global id (the kafka proxies decode with them).
  const schemas = new SchemaStore();

  // Process, go and node services share one set of limits, pid records and trees.
  const programs = createProcessHost({ records, watchdog, limits: context.limits });
  const cacheDir = join(context.rigDir, "cache");
  // S3 and SQS: one moto server per rigd, a bucket or a queue per environment.
  const motoPool = createMotoPool(hostServers("moto"));
  // Temporal: a dev server per rigd and CLI version, a namespace per environment.
  const temporalPool = createTemporalPool(hostServers("temporal"));
  const goBuilder = new GoBuilder(cacheDir);
  const sharedContainers = new SharedContainers(docker, owner);
  const types = new TypeRegistry()
    .register(createProcessType(programs))
    .register(createClientType())
    .register(createContainerType({ docker, owner, shared: sharedContainers }))
    .register(createPostgresType({ docker, pool: postgresPool, runtimes }))
    .register(createRedisType({ docker, pool: redisPool, runtimes }))
    .register(createGoType({ host: programs, builder: goBuilder }))
    .register(createNodeType({ host: programs, builder: new NodeBuilder(cacheDir) }))
    .register(createS3Type(motoPool))
    .register(createSqsType(motoPool))
    .register(createTemporalType({ pool: temporalPool, builder: goBuilder }))
    .register(createKafkaType({ rigDir: context.rigDir, shared: kafkaShared, dedicated: kafkaDedicated, schemas }))
    .register(createProxyType(undefined, (id) => schemas.schemaById(id)?.type))
    .register(createTestNodeType());
  for (const type of options.extraTypes ?? []) types.register(type);

  return new Orchestrator({
    ...context,
    types,
    watchdog,
    transforms: [(plan) => (plan.observe ? insertProxies(plan) : plan)],
    onShutdown: async () => {
      await Promise.all([
        postgresPool.closeAll(), redisPool.closeAll(), motoPool.closeAll(), temporalPool.closeAll(),
        kafkaShared.closeAll(), kafkaDedicated.closeAll(), sharedContainers.closeAll(),
      ]);
      watchdog.close();
    },
  });
}
