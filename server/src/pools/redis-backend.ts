/**
 * The Redis pool: one server per key (a container per image, or a host `redis-server`
 * per rigd), one database number per lease. This file is what both runtimes share (the
 * numbers); `redis-docker-runtime.ts` and `redis-host-runtime.ts` differ only in how
 * the server runs and how redis-cli reaches it.
 *
 * The server runs with 256 databases. Numbers are handed out from 1 (0, every client's
 * default, stays unused so a client that ignores the number in REDIS_URL cannot see
 * another environment's keys), flushed on release and only then reused; a number whose
 * flush failed is never handed out again by this server.
 */
import type { Logger } from "pino";
import { Pool, type Backend, type Lease } from "./pool.js";
import type { ServerCommandOptions } from "./postgres-backend.js";
import type { ServerRuntime } from "./server-runtime.js";

/** Databases per server (`--databases`). */
export const REDIS_DATABASES = 256;

/** The arguments of every pooled redis-server: many databases, no persistence. */
export const REDIS_SERVER_ARGS: readonly string[] = ["--databases", String(REDIS_DATABASES), "--save", "", "--appendonly", "no"];

/** A running pooled server, as the redis type sees it. */
export interface RedisServer {
  readonly runtime: ServerRuntime;
  /** For messages: the container's name, or `host redis-server (pid N)`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The address exec hooks reach the server at (inside the container: 127.0.0.1:6379). */
  readonly localHost: string;
  readonly localPort: number;
  /** Resolves (with why) when the server stops. */
  readonly exited: Promise<string>;
  /** True when `redis-cli -n db ping` answers PONG. */
  ping(db: number, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }>;
  /** Runs a command where the server runs (in its container, or on the host). */
  exec(command: readonly string[], what: string, options?: ServerCommandOptions): Promise<void>;
}

/** A server a runtime started. */
export interface StartedRedis extends RedisServer {
  /** FLUSHDB of one database; rejects unless the server answered OK. */
  flush(db: number): Promise<void>;
  /** Stops the server and removes what it left. */
  stop(): Promise<void>;
}

/** How a server of one key runs: the part that differs between Docker and the host. */
export interface RedisRuntime {
  start(signal: AbortSignal): Promise<StartedRedis>;
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
export interface RedisPoolOptions {
  /** The runtime of a pool key (`docker:<image>`, `host:redis`). */
  readonly runtimeOf: (key: string) => RedisRuntime;
  /** How long a server with no leases lives on. Default 2 minutes. */
  readonly idleMs?: number;
  readonly log?: Logger;
}

class RedisBackend implements Backend<RedisServer, RedisLeaseRequest, RedisLeaseData> {
  private server: StartedRedis | undefined;
  private readonly inUse = new Set<number>();
  /** Numbers whose flush failed: their keys may linger, so they are not reused. */
  private readonly quarantined = new Set<number>();

  constructor(
    private readonly key: string,
    private readonly runtime: RedisRuntime,
  ) {}

  async start(signal: AbortSignal): Promise<RedisServer> {
    const server = await this.runtime.start(signal);
    this.server = server;
    return server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await server?.stop();
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
    throw new Error(`all ${REDIS_DATABASES - 1} redis databases of ${this.key} are leased`);
  }

  async dropLease(_server: RedisServer, lease: RedisLeaseData): Promise<void> {
    try {
      if (!this.server) throw new Error("the redis server is not running");
      await this.server.flush(lease.db);
    } catch (err) {
      this.quarantined.add(lease.db);
      throw err;
    } finally {
      this.inUse.delete(lease.db);
    }
  }
}

/** The Redis pool: key = runtime and what it runs (`docker:<image>`, `host:redis`). */
export function createRedisPool(options: RedisPoolOptions): RedisPool {
  return new Pool({
    name: "redis",
    create: (key) => new RedisBackend(key, options.runtimeOf(key)),
    idleMs: options.idleMs ?? 120_000,
    ...(options.log ? { log: options.log } : {}),
  });
}
