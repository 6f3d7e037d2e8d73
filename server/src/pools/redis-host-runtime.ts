/**
 * The host runtime of the Redis pool: the host's `redis-server` (Debian's
 * `redis-server` package) as a child of rigd, one per rigd, on 127.0.0.1 at a port
 * from the pool's allocator, no persistence, its working dir a server dir of its own
 * (host-server-dir.ts). redis-cli and exec hooks run on the host. Stopping kills the
 * process group and removes the dir; the next rigd does both for a rigd killed with
 * SIGKILL (pid and dir records).
 */
import { ExecFailedError } from "../docker/container-exec.js";
import { findRedisBinaries } from "./host-binaries.js";
import { runHostChecked, runHostCommand, startHostServer, type HostServer } from "./host-process.js";
import { createHostServerDir } from "./host-server-dir.js";
import { REDIS_SERVER_ARGS, type RedisRuntime, type StartedRedis } from "./redis-backend.js";
import type { HostServerOptions } from "./server-runtime.js";

const DEFAULT_START_TIMEOUT_MS = 30_000;
const PORT_ATTEMPTS = 3;

/** The pool key's `what` for the host's Redis. Throws when redis-server is not installed. */
export function hostRedisKey(): string {
  findRedisBinaries();
  return "redis";
}

/** A redis-server of the host's binaries, run by rigd. */
export function hostRedisRuntime(options: HostServerOptions): RedisRuntime {
  return {
    async start(signal): Promise<StartedRedis> {
      const bins = findRedisBinaries();
      const dir = createHostServerDir(options.rigDir, "redis");
      const cli = (port: number, args: readonly string[], probeSignal?: AbortSignal) =>
        runHostCommand(bins.redisCli, ["-h", "127.0.0.1", "-p", String(port), ...args], probeSignal ? { signal: probeSignal } : {});
      let server: HostServer | undefined;
      let port = 0;
      try {
        for (let attempt = 1; ; attempt++) {
          port = await options.ports.allocate();
          server = await startHostServer(
            {
              kind: "redis",
              command: bins.redisServer,
              args: ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir.path, "--daemonize", "no", ...REDIS_SERVER_ARGS],
              cwd: dir.path,
              stopSignal: "SIGTERM",
            },
            options.records,
          );
          let exited: string | undefined;
          void server.exited.then((why) => (exited = why));
          const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
          let delay = 5;
          let failure: string | undefined;
          for (;;) {
            signal.throwIfAborted();
            if (exited) {
              failure = `${exited}; last output:\n${server.tail().join("\n")}`;
              break;
            }
            const result = await cli(port, ["ping"], signal);
            if (result.exitCode === 0 && result.stdout.trim() === "PONG") break;
            if (Date.now() > deadline) {
              failure = `not ready after ${options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS} ms; last output:\n${server.tail().join("\n")}`;
              break;
            }
            await new Promise((r) => setTimeout(r, delay));
            delay = Math.min(delay * 2, 200);
          }
          if (!failure) break;
          const portTaken = server.tail().some((line) => /Address already in use|bind/i.test(line));
          await server.stop();
          options.ports.release(port);
          server = undefined;
          if (!portTaken || attempt >= PORT_ATTEMPTS) throw new Error(failure);
        }
      } catch (err) {
        await server?.stop();
        if (server) options.ports.release(port);
        dir.remove();
        throw err instanceof Error ? new Error(`host redis-server (${bins.redisServer}) did not start: ${err.message}`) : err;
      }
      const running = server;
      options.log?.info({ pid: running.pid, port, dir: dir.path }, "host redis-server started");
      return {
        runtime: "host",
        name: `host redis-server (pid ${running.pid}, port ${port})`,
        host: "127.0.0.1",
        port,
        localHost: "127.0.0.1",
        localPort: port,
        exited: running.exited,
        async ping(db, probeSignal) {
          try {
            const result = await cli(port, ["-n", String(db), "ping"], probeSignal);
            return result.exitCode === 0 && result.stdout.trim() === "PONG"
              ? { ready: true }
              : { ready: false, detail: (result.stdout || result.stderr).trim() };
          } catch (err) {
            return { ready: false, detail: err instanceof Error ? err.message : String(err) };
          }
        },
        async flush(db) {
          const result = await cli(port, ["-n", String(db), "FLUSHDB"]);
          if (result.exitCode !== 0 || result.stdout.trim() !== "OK") throw new ExecFailedError(`FLUSHDB of db ${db}`, result);
        },
        async exec(command, what, runOptions = {}) {
          const [program, ...args] = command;
          if (!program) throw new Error("exec hook has an empty command");
          await runHostChecked(program, args, what, runOptions);
        },
        async stop() {
          await running.stop();
          options.ports.release(port);
          dir.remove();
        },
      };
    },
  };
}
