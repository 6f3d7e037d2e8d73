/**
 * Pools built the way rigd/compose-backend.ts builds them, for specs and benchmarks:
 * both runtimes, host servers under a temp RIG_DIR with pid records of their own.
 */
import type Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RigdIdentity } from "../../docker/labels.js";
import { PortAllocator } from "../../ports/port-allocator.js";
import { createPostgresPool, type PostgresPool } from "../postgres-backend.js";
import { dockerPostgresRuntime } from "../postgres-docker-runtime.js";
import { hostPostgresRuntime } from "../postgres-host-runtime.js";
import { createRedisPool, type RedisPool } from "../redis-backend.js";
import { dockerRedisRuntime } from "../redis-docker-runtime.js";
import { hostRedisRuntime } from "../redis-host-runtime.js";
import { HOST_SERVER_PORTS, RuntimeChooser, runtimeByKey, type HostServerOptions } from "../server-runtime.js";
import type { ProcessRecorder } from "../host-process.js";

/** Pools of both runtimes and what they share; `close()` stops every server and removes the temp RIG_DIR. */
export interface TestPools {
  readonly postgres: PostgresPool;
  readonly redis: RedisPool;
  readonly runtimes: RuntimeChooser;
  readonly rigDir: string;
  /** Process groups the host runtime recorded and has not removed yet. */
  readonly recorded: ReadonlySet<number>;
  close(): Promise<void>;
}

/** Builds the pools; `idleMs` as the pools take it. */
export function testPools(docker: Docker, owner: RigdIdentity, idleMs = 60_000): TestPools {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-pools-"));
  const recorded = new Set<number>();
  const records: ProcessRecorder = { add: (pgid) => void recorded.add(pgid), remove: (pgid) => void recorded.delete(pgid) };
  const host: HostServerOptions = { rigDir, records, ports: new PortAllocator("127.0.0.1", HOST_SERVER_PORTS) };
  const postgres = createPostgresPool({
    runtimeOf: runtimeByKey((image) => dockerPostgresRuntime({ docker, owner }, image), () => hostPostgresRuntime(host)),
    idleMs,
  });
  const redis = createRedisPool({
    runtimeOf: runtimeByKey((image) => dockerRedisRuntime({ docker, owner }, image), () => hostRedisRuntime(host)),
    idleMs,
  });
  return {
    postgres,
    redis,
    runtimes: new RuntimeChooser(docker),
    rigDir,
    recorded,
    async close() {
      await Promise.all([postgres.closeAll(), redis.closeAll()]);
      rmSync(rigDir, { recursive: true, force: true });
    },
  };
}
