/**
 * The Docker runtime of the Postgres pool: the server is a container of one image
 * (tmpfs data dir, `fsync=off`), and psql, pg_isready and exec hooks run inside it.
 * The admin session is one long-lived psql in the container (psql-session.ts) and
 * pg_isready goes through it (psql's `\!`), because a `docker exec` costs ~90 ms.
 */
import { runExecHook } from "../docker/exec-hook.js";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import type { PostgresRuntime, StartedPostgres } from "./postgres-backend.js";
import { startPooledContainer, type PooledServerOptions } from "./pooled-container.js";
import { runPsql } from "./psql.js";
import { PsqlSession } from "./psql-session.js";

/** A Postgres server in a container of `image`. */
export function dockerPostgresRuntime(options: PooledServerOptions, image: string): PostgresRuntime {
  return {
    async start(user, password, signal): Promise<StartedPostgres> {
      const started = await startPooledContainer(
        options.docker,
        options.owner,
        {
          kind: "postgres",
          image,
          // Durability buys nothing for throwaway test data; these make DDL and clones fast.
          cmd: ["postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=500"],
          env: { POSTGRES_USER: user, POSTGRES_PASSWORD: password, POSTGRES_DB: "postgres" },
          containerPort: 5432,
          tmpfs: { "/var/lib/postgresql/data": "rw" },
          // Over TCP: the entrypoint's temporary init server listens on the socket only.
          readyCheck: ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-U", user, "-d", "postgres"],
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
        localPort: 5432,
        exited: container.exited.then((exit) => `postgres container exited with code ${exit.code ?? "?"}`),
        openSession: () => PsqlSession.open(options.docker, container.id, user),
        async databaseReady(database, admin, probeSignal) {
          const result = await (await admin()).shell(`pg_isready -h 127.0.0.1 -p 5432 -U ${user} -d ${database}`, probeSignal);
          return result.exitCode === 0 ? { ready: true } : { ready: false, detail: result.output.trim() };
        },
        async runSql(database, statements, what, runOptions = {}) {
          await runPsql(options.docker, { container: container.id, user, database }, statements, what, runOptions);
        },
        async exec(command, _what, runOptions = {}) {
          const onLine = runOptions.onLine;
          await runExecHook(
            options.docker,
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
