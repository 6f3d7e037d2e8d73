/**
 * The Docker runtime of the Redis pool: the server is a container of one image, and
 * redis-cli and exec hooks run inside it.
 */
import { ExecFailedError, execInContainer } from "../docker/container-exec.js";
import { runExecHook } from "../docker/exec-hook.js";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { startPooledContainer, type PooledServerOptions } from "./pooled-container.js";
import { REDIS_SERVER_ARGS, type RedisRuntime, type StartedRedis } from "./redis-backend.js";

/** A Redis server in a container of `image`. */
export function dockerRedisRuntime(options: PooledServerOptions, image: string): RedisRuntime {
  const docker = options.docker;
  return {
    async start(signal): Promise<StartedRedis> {
      const started = await startPooledContainer(
        docker,
        options.owner,
        {
          kind: "redis",
          image,
          cmd: ["redis-server", ...REDIS_SERVER_ARGS],
          env: {},
          containerPort: 6379,
          readyCheck: ["redis-cli", "ping"],
          accept: (stdout) => stdout.trim() === "PONG",
          ...(options.startTimeoutMs ? { timeoutMs: options.startTimeoutMs } : {}),
        },
        signal,
        options.log,
      );
      const container = started.container;
      return {
        runtime: "docker",
        name: container.name,
        host: started.host,
        port: started.port,
        localHost: "127.0.0.1",
        localPort: 6379,
        exited: container.exited.then((exit) => `redis container exited with code ${exit.code ?? "?"}`),
        async ping(db, probeSignal) {
          let result;
          try {
            result = await execInContainer(docker, container.id, ["redis-cli", "-n", String(db), "ping"], { signal: probeSignal });
          } catch (err) {
            // The probe contract: answer "not yet"; the readiness wait decides when to give up.
            return { ready: false, detail: err instanceof Error ? err.message : String(err) };
          }
          return result.exitCode === 0 && result.stdout.trim() === "PONG"
            ? { ready: true }
            : { ready: false, detail: (result.stdout || result.stderr).trim() };
        },
        async flush(db) {
          const result = await execInContainer(docker, container.id, ["redis-cli", "-n", String(db), "FLUSHDB"]);
          // redis-cli may exit 0 on an error reply; only OK means the keys are gone.
          if (result.exitCode !== 0 || result.stdout.trim() !== "OK") throw new ExecFailedError(`FLUSHDB of db ${db}`, result);
        },
        async exec(command, _what, runOptions = {}) {
          const onLine = runOptions.onLine;
          await runExecHook(
            docker,
            container.id,
            command,
            { line: (stream, text) => onLine?.(stream === LogStream.STDERR ? "stderr" : "stdout", text) },
            { ...(runOptions.env ? { env: runOptions.env } : {}), ...(runOptions.signal ? { signal: runOptions.signal } : {}) },
          );
        },
        stop: () => container.remove(),
      };
    },
  };
}
