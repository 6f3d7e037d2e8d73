/**
 * Wires the Docker-backed service types (container, postgres, redis) with their shared
 * pools for one rigd. rigd registers `types` and calls `close()` at shutdown, which stops
 * every pooled server.
 */
import type Docker from "dockerode";
import type { Logger } from "pino";
import { createPostgresPool, type PostgresPool } from "../pools/postgres-backend.js";
import { createRedisPool, type RedisPool } from "../pools/redis-backend.js";
import { createContainerType } from "../services/container.js";
import { createPostgresType } from "../services/postgres.js";
import { createRedisType } from "../services/redis.js";
import type { ServiceType } from "../services/service-type.js";
import type { RigdIdentity } from "./labels.js";

/** Options of createDockerServiceTypes. */
export interface DockerServiceTypesOptions {
  readonly docker: Docker;
  readonly owner: RigdIdentity;
  readonly log?: Logger;
  /** How long an unused pooled server lives on (default 2 minutes). */
  readonly poolIdleMs?: number;
  /** Default images (default: $RIG_POSTGRES_IMAGE / $RIG_REDIS_IMAGE, else the official alpine images). */
  readonly postgresImage?: string;
  readonly redisImage?: string;
  /** Template databases for identical init SQL (default true). */
  readonly templateDatabases?: boolean;
}

/** The types and the pools behind them. */
export interface DockerServiceTypes {
  readonly types: readonly ServiceType[];
  readonly postgresPool: PostgresPool;
  readonly redisPool: RedisPool;
  /** Stops every pooled server (rigd shutdown). */
  close(): Promise<void>;
}

/** Builds the container, postgres and redis types sharing one client and two pools. */
export function createDockerServiceTypes(options: DockerServiceTypesOptions): DockerServiceTypes {
  const { docker, owner } = options;
  const common = {
    docker,
    owner,
    ...(options.poolIdleMs !== undefined ? { idleMs: options.poolIdleMs } : {}),
  };
  const postgresPool = createPostgresPool({ ...common, ...(options.log ? { log: options.log.child({ pool: "postgres" }) } : {}) });
  const redisPool = createRedisPool({ ...common, ...(options.log ? { log: options.log.child({ pool: "redis" }) } : {}) });
  return {
    types: [
      createContainerType({ docker, owner }),
      createPostgresType({
        docker,
        pool: postgresPool,
        ...(options.postgresImage ? { defaultImage: options.postgresImage } : {}),
        ...(options.templateDatabases !== undefined ? { templateDatabases: options.templateDatabases } : {}),
      }),
      createRedisType({ docker, pool: redisPool, ...(options.redisImage ? { defaultImage: options.redisImage } : {}) }),
    ],
    postgresPool,
    redisPool,
    close: async () => {
      await Promise.all([postgresPool.closeAll(), redisPool.closeAll()]);
    },
  };
}
