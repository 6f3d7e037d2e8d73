/**
 * The `redis` service type (SPEC §5): a database number per environment on a pooled
 * server, flushed when released; attributes REDIS_URL (with the number as its path)
 * and REDIS_DB; readiness by `redis-cli ping`; `exec` hooks, run where the server runs.
 *
 * Runtime (`config.runtime`): `docker` runs one container per image; `host` runs the
 * host's `redis-server` as a child of rigd, no Docker needed; unspecified (auto) picks
 * Docker when an engine answers, else the host.
 */
import { imageReferenceProblem } from "../docker/image-reference.js";
import type Docker from "dockerode";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { Protocol, type Hook, type RedisConfig } from "../gen/rig/v1/spec_pb.js";
import { imageArtifact } from "../docker/image-artifact.js";
import { findRedisBinaries } from "../pools/host-binaries.js";
import { leasedService } from "../pools/leased-service.js";
import type { RedisLease, RedisPool } from "../pools/redis-backend.js";
import { hostRedisKey } from "../pools/redis-host-runtime.js";
import { poolKey, type RuntimeChooser } from "../pools/server-runtime.js";
import { pooledServerArtifact, requestedRuntime } from "./pooled-runtime.js";
import type { PlannedService } from "../contract/plan.js";
import type { ServiceType } from "../contract/service-type.js";
import { publishAt } from "./publish-local.js";

/** Image of redis services that name none (overridable by RIG_REDIS_IMAGE). */
export const DEFAULT_REDIS_IMAGE = "redis:7-alpine";

/** What the redis type needs from rigd. */
export interface RedisTypeDeps {
  readonly docker: Docker;
  /** The shared pool (it labels its containers with the owning rigd). */
  readonly pool: RedisPool;
  /** Resolves the auto runtime (Docker when an engine answers, else host). */
  readonly runtimes: RuntimeChooser;
  /** Image when the spec names none. Default: $RIG_REDIS_IMAGE, else redis:7-alpine. */
  readonly defaultImage?: string;
}

/** The redis type. */
export function createRedisType(deps: RedisTypeDeps): ServiceType<RedisConfig> {
  const { docker, pool, runtimes } = deps;
  const defaultImage = deps.defaultImage ?? process.env["RIG_REDIS_IMAGE"] ?? DEFAULT_REDIS_IMAGE;
  const imageOf = (service: PlannedService<RedisConfig>): string => service.config.image || defaultImage;
  const leases = new Map<string, RedisLease>();
  const keyOf = (ctx: { environment: { id: string }; service: { name: string } }): string =>
    `${ctx.environment.id}/${ctx.service.name}`;
  const leaseOf = (ctx: { environment: { id: string }; service: { name: string } }): RedisLease => {
    const lease = leases.get(keyOf(ctx));
    if (!lease) throw new Error(`redis service ${ctx.service.name} has no database lease (publish did not run or it was released)`);
    return lease;
  };

  return {
    name: "redis",
    defaults: { defaultProtocol: Protocol.TCP, serverHooks: ["exec"], attributes: ["REDIS_URL", "REDIS_DB"] },

    configOf: (service) => (service.config.case === "redis" ? service.config.value : undefined),

    validate({ service, problems }) {
      const imageProblem = service.config.image ? imageReferenceProblem(service.config.image) : undefined;
      if (imageProblem) problems.add("redis.image", imageProblem);
      if (service.ingresses.length > 1) problems.add("ingresses", "a redis service has exactly one ingress (the server's 6379)");
    },

    artifacts(ctx) {
      return [
        pooledServerArtifact("redis", requestedRuntime(ctx.service.config.runtime), runtimes, imageArtifact(docker, imageOf(ctx.service)), findRedisBinaries),
      ];
    },

    async publish(ctx) {
      const runtime = await runtimes.choose(requestedRuntime(ctx.service.config.runtime));
      const key = runtime === "docker" ? poolKey("docker", imageOf(ctx.service)) : poolKey("host", hostRedisKey());
      const lease = await pool.acquire(key, { service: ctx.service.name }, ctx.signal);
      const leaseKey = keyOf(ctx);
      leases.set(leaseKey, lease);
      ctx.onRelease(async () => {
        leases.delete(leaseKey);
        await lease.release();
      });
      const endpoints = publishAt(ctx, lease.backend, { REDIS_URL: `redis://\${HOSTPORT}/${lease.data.db}`, REDIS_DB: String(lease.data.db) });
      ctx.log.debug({ db: lease.data.db, server: lease.backend.name }, "redis database leased");
      return endpoints;
    },

    async start(ctx) {
      const lease = leaseOf(ctx);
      return leasedService(`redis db ${lease.data.db} on ${lease.backend.name}`, lease.backend.exited);
    },

    readiness(ctx) {
      const lease = leaseOf(ctx);
      return (signal) => lease.backend.ping(lease.data.db, signal);
    },

    async runHook(ctx, hook: Hook) {
      if (hook.action.case !== "exec") throw new Error(`redis services cannot run ${hook.action.case ?? "empty"} hooks server-side`);
      const lease = leaseOf(ctx);
      const server = lease.backend;
      const command = hook.action.value.command;
      if (command.length === 0) throw new Error("exec hook has an empty command");
      await server.exec(command, `exec hook "${command.join(" ")}"`, {
        signal: ctx.signal,
        onLine: (stream, line) => ctx.output.line(stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR, line),
        env: { REDIS_URL: `redis://${server.localHost}:${server.localPort}/${lease.data.db}`, REDIS_DB: String(lease.data.db) },
      });
    },
  };
}
