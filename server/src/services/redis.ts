/**
 * The `redis` service type (SPEC §5): a database number per environment on a pooled
 * server (one container per image), flushed when released; attributes REDIS_URL (with
 * the number as its path) and REDIS_DB; readiness by `redis-cli ping` inside the
 * container; `exec` hooks.
 */
import type Docker from "dockerode";
import { Protocol, type Hook, type RedisConfig } from "../gen/rig/v1/spec_pb.js";
import { runExecHook } from "../docker/exec-hook.js";
import { imageArtifact } from "../docker/image-artifact.js";
import { leasedService } from "../pools/leased-service.js";
import { redisAnswersPing, type RedisLease, type RedisPool } from "../pools/redis-backend.js";
import type { PlannedService } from "../contract/plan.js";
import type { PublishedEndpoint, ServiceType } from "../contract/service-type.js";

/** Image of redis services that name none (overridable by RIG_REDIS_IMAGE). */
export const DEFAULT_REDIS_IMAGE = "redis:7-alpine";

/** What the redis type needs from rigd. */
export interface RedisTypeDeps {
  readonly docker: Docker;
  /** The shared pool (it labels its containers with the owning rigd). */
  readonly pool: RedisPool;
  /** Image when the spec names none. Default: $RIG_REDIS_IMAGE, else redis:7-alpine. */
  readonly defaultImage?: string;
}

/** The redis type. */
export function createRedisType(deps: RedisTypeDeps): ServiceType<RedisConfig> {
  const { docker, pool } = deps;
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
      if (service.ingresses.length > 1) problems.add("ingresses", "a redis service has exactly one ingress (the server's 6379)");
    },

    artifacts(ctx) {
      return [imageArtifact(docker, imageOf(ctx.service))];
    },

    async publish(ctx) {
      const lease = await pool.acquire(imageOf(ctx.service), { service: ctx.service.name }, ctx.signal);
      const key = keyOf(ctx);
      leases.set(key, lease);
      ctx.onRelease(async () => {
        leases.delete(key);
        await lease.release();
      });
      const endpoints: Record<string, PublishedEndpoint> = {};
      for (const ingress of ctx.service.ingresses) {
        endpoints[ingress.name] = {
          host: lease.backend.host,
          port: lease.backend.port,
          protocol: ingress.protocol,
          attributes: { REDIS_URL: `redis://\${HOSTPORT}/${lease.data.db}`, REDIS_DB: String(lease.data.db), ...ingress.attributes },
        };
      }
      ctx.log.debug({ db: lease.data.db, container: lease.backend.containerName }, "redis database leased");
      return endpoints;
    },

    async start(ctx) {
      const lease = leaseOf(ctx);
      return leasedService(`redis db ${lease.data.db} on ${lease.backend.containerName}`, lease.backend.exited);
    },

    readiness(ctx) {
      const lease = leaseOf(ctx);
      return (signal) => redisAnswersPing(docker, lease.backend, lease.data.db, signal);
    },

    async runHook(ctx, hook: Hook) {
      if (hook.action.case !== "exec") throw new Error(`redis services cannot run ${hook.action.case ?? "empty"} hooks server-side`);
      const lease = leaseOf(ctx);
      await runExecHook(docker, lease.backend.containerId, hook.action.value.command, ctx.output, {
        signal: ctx.signal,
        env: { REDIS_URL: `redis://127.0.0.1:6379/${lease.data.db}`, REDIS_DB: String(lease.data.db) },
      });
    },
  };
}
