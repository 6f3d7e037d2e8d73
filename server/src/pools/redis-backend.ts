/**
 * The Redis pool: one server container per image, one database number per lease.
 *
 * The server runs with 256 databases. Numbers are handed out from 1 (0, every client's
 * default, stays unused so a client that ignores the number in REDIS_URL cannot see
 * another environment's keys), flushed on release and only then reused; a number whose
 * flush failed is never handed out again by this server.
 */
import type Docker from "dockerode";
import { ExecFailedError, execInContainer } from "../docker/container-exec.js";
import type { StartedContainer } from "../docker/run-container.js";
import { Pool, type Backend, type Lease } from "./pool.js";
import { startPooledContainer, type PooledServerOptions } from "./pooled-container.js";

/** Databases per server (`--databases`). */
export const REDIS_DATABASES = 256;

/** A running pooled server. */
export interface RedisServer {
  readonly image: string;
  readonly containerId: string;
  readonly containerName: string;
  readonly host: string;
  readonly port: number;
  /** Resolves (with why) when the server's container stops. */
  readonly exited: Promise<string>;
}

/** What a lease asks for. */
export interface RedisLeaseRequest {
  readonly service: string;
}

/** What a lease got. */
export interface RedisLeaseData {
  readonly db: number;
}

/** A lease of the Redis pool. */
export type RedisLease = Lease<RedisServer, RedisLeaseData>;

/** The Redis pool type. */
export type RedisPool = Pool<RedisServer, RedisLeaseRequest, RedisLeaseData>;

/** Options of the Redis pool. */
export type RedisPoolOptions = PooledServerOptions;

class RedisBackend implements Backend<RedisServer, RedisLeaseRequest, RedisLeaseData> {
  private container: StartedContainer | undefined;
  private readonly inUse = new Set<number>();
  /** Numbers whose flush failed: their keys may linger, so they are not reused. */
  private readonly quarantined = new Set<number>();

  constructor(
    private readonly image: string,
    private readonly options: RedisPoolOptions,
  ) {}

  async start(signal: AbortSignal): Promise<RedisServer> {
    const started = await startPooledContainer(
      this.options.docker,
      this.options.owner,
      {
        kind: "redis",
        image: this.image,
        // No persistence: test data is thrown away with the container.
        cmd: ["redis-server", "--databases", String(REDIS_DATABASES), "--save", "", "--appendonly", "no"],
        env: {},
        containerPort: 6379,
        readyCheck: ["redis-cli", "ping"],
        accept: (stdout) => stdout.trim() === "PONG",
        ...(this.options.startTimeoutMs ? { timeoutMs: this.options.startTimeoutMs } : {}),
      },
      signal,
      this.options.log,
    );
    this.container = started.container;
    return {
      image: this.image,
      containerId: started.container.id,
      containerName: started.container.name,
      host: started.host,
      port: started.port,
      exited: started.container.exited.then((exit) => `redis container exited with code ${exit.code ?? "?"}`),
    };
  }

  async stop(): Promise<void> {
    await this.container?.remove();
  }

  died(server: RedisServer): Promise<string> {
    return server.exited;
  }

  async newLease(): Promise<RedisLeaseData> {
    for (let db = 1; db < REDIS_DATABASES; db++) {
      if (this.inUse.has(db) || this.quarantined.has(db)) continue;
      this.inUse.add(db);
      return { db };
    }
    throw new Error(`all ${REDIS_DATABASES - 1} redis databases of image "${this.image}" are leased`);
  }

  async dropLease(server: RedisServer, lease: RedisLeaseData): Promise<void> {
    try {
      const result = await execInContainer(this.options.docker, server.containerId, ["redis-cli", "-n", String(lease.db), "FLUSHDB"]);
      // redis-cli may exit 0 on an error reply; only OK means the keys are gone.
      if (result.exitCode !== 0 || result.stdout.trim() !== "OK") throw new ExecFailedError(`FLUSHDB of db ${lease.db}`, result);
    } catch (err) {
      this.quarantined.add(lease.db);
      throw err;
    } finally {
      this.inUse.delete(lease.db);
    }
  }
}

/** The Redis pool: key = image. */
export function createRedisPool(options: RedisPoolOptions): RedisPool {
  return new Pool({
    name: "redis",
    create: (image) => new RedisBackend(image, options),
    idleMs: options.idleMs ?? 120_000,
    ...(options.log ? { log: options.log } : {}),
  });
}

/** True when `redis-cli -n db ping` answers PONG inside the server's container. */
export async function redisAnswersPing(
  docker: Docker,
  server: RedisServer,
  db: number,
  signal: AbortSignal,
): Promise<{ ready: boolean; detail?: string }> {
  let result;
  try {
    result = await execInContainer(docker, server.containerId, ["redis-cli", "-n", String(db), "ping"], { signal });
  } catch (err) {
    // The probe contract: answer "not yet"; the readiness wait decides when to give up.
    return { ready: false, detail: err instanceof Error ? err.message : String(err) };
  }
  return result.exitCode === 0 && result.stdout.trim() === "PONG"
    ? { ready: true }
    : { ready: false, detail: (result.stdout || result.stderr).trim() };
}
