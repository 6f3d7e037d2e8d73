/**
 * The host runtime of the Postgres pool: the host's `initdb` and `postgres` (Debian's
 * `postgresql` package) run as children of rigd, one cluster per rigd and major version.
 *
 * The cluster lives in a server dir of its own (host-server-dir.ts): data dir, unix
 * socket dir and password file; `fsync=off` and friends as in the container; it listens
 * on 127.0.0.1 on a port from the pool's allocator; superuser `rig` with a random
 * password over TCP (scram), trust on its own socket. rigd as root runs the server as
 * the `postgres` user (Postgres refuses root). psql, pg_isready and exec hooks run on
 * the host and reach the server over TCP. Stopping kills the process group and removes
 * the dir; a rigd killed with SIGKILL leaves a pid record and a dir record, and the
 * next rigd kills the group and removes the dir.
 */
import { chownSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findPostgresBinaries, type PostgresBinaries } from "./host-binaries.js";
import { runHostChecked, runHostCommand, startHostServer, systemUser, type HostServer, type RunAs } from "./host-process.js";
import { createHostServerDir, type HostServerDir } from "./host-server-dir.js";
import type { PostgresRuntime, StartedPostgres } from "./postgres-backend.js";
import { sqlScript } from "./psql.js";
import { PsqlSession } from "./psql-session.js";
import type { HostServerOptions } from "./server-runtime.js";

const DEFAULT_START_TIMEOUT_MS = 60_000;
/** Attempts at a port: another program may take the one we picked before postgres binds it. */
const PORT_ATTEMPTS = 3;

/** The pool key's `what` for the host's Postgres: its major version. Throws when none is installed. */
export function hostPostgresKey(): string {
  return `postgres-${findPostgresBinaries().major}`;
}

/** Who the server runs as: rigd's own user, or `postgres` (else `nobody`) when rigd is root. */
function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const user = systemUser("postgres") ?? systemUser("nobody");
  if (!user) throw new Error("rigd runs as root and Postgres refuses to: no `postgres` or `nobody` user to run it as");
  return user;
}

async function initCluster(bins: PostgresBinaries, dir: string, user: string, password: string, runAs: RunAs | undefined): Promise<string> {
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  const data = join(dir, "data");
  await runHostChecked(
    bins.initdb,
    ["-D", data, "-U", user, `--pwfile=${pwfile}`, "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"],
    `initdb (${bins.initdb})`,
    { cwd: dir, ...(runAs ? { runAs } : {}) },
  );
  return data;
}

/** Waits until pg_isready answers, the server exits (rejects with its output) or the deadline passes. */
async function waitReady(bins: PostgresBinaries, server: HostServer, port: number, user: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  let exited: string | undefined;
  void server.exited.then((why) => (exited = why));
  const deadline = Date.now() + timeoutMs;
  let delay = 10;
  let detail = "";
  for (;;) {
    signal.throwIfAborted();
    if (exited) throw new Error(`${exited}; last output:\n${server.tail().join("\n")}`);
    const result = await runHostCommand(bins.pgIsready, ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", "postgres"], { signal });
    if (result.exitCode === 0) return;
    detail = (result.stdout || result.stderr).trim();
    if (Date.now() > deadline) throw new Error(`host postgres was not ready after ${timeoutMs} ms (${detail}); last output:\n${server.tail().join("\n")}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 200);
  }
}

/** A Postgres cluster of the host's binaries, run by rigd. */
export function hostPostgresRuntime(options: HostServerOptions): PostgresRuntime {
  return {
    async start(user, password, signal): Promise<StartedPostgres> {
      const bins = findPostgresBinaries();
      const runAs = serverUser();
      const dir: HostServerDir = createHostServerDir(options.rigDir, "postgres", runAs);
      let server: HostServer | undefined;
      let port = 0;
      try {
        const data = await initCluster(bins, dir.path, user, password, runAs);
        for (let attempt = 1; ; attempt++) {
          port = await options.ports.allocate();
          server = await startHostServer(
            {
              kind: "postgres",
              command: bins.postgres,
              args: [
                "-D", data, "-p", String(port), "-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=${dir.path}`,
                // Durability buys nothing for throwaway test data; these make DDL and clones fast.
                "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=500",
              ],
              cwd: dir.path,
              ...(runAs ? { runAs } : {}),
              // Immediate shutdown: the data is thrown away, no checkpoint needed.
              stopSignal: "SIGQUIT",
            },
            options.records,
          );
          try {
            await waitReady(bins, server, port, user, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, signal);
            break;
          } catch (err) {
            const portTaken = server.tail().some((line) => /could not bind|Address already in use/i.test(line));
            await server.stop();
            options.ports.release(port);
            server = undefined;
            if (!portTaken || attempt >= PORT_ATTEMPTS) throw err;
          }
        }
      } catch (err) {
        await server?.stop();
        if (server) options.ports.release(port);
        dir.remove();
        throw err instanceof Error ? new Error(`host postgres ${bins.major} (${bins.bindir}) did not start: ${err.message}`) : err;
      }
      const running = server;
      options.log?.info({ pid: running.pid, port, dir: dir.path }, "host postgres started");
      const env = { PGPASSWORD: password };
      const connect = (database: string): string[] => ["-h", "127.0.0.1", "-p", String(port), "-U", user, "-d", database];
      return {
        runtime: "host",
        name: `host postgres ${bins.major} (pid ${running.pid}, port ${port})`,
        host: "127.0.0.1",
        port,
        localHost: "127.0.0.1",
        localPort: port,
        exited: running.exited,
        openSession: () => PsqlSession.spawn(bins.psql, connect("postgres"), env),
        async databaseReady(database, _admin, probeSignal) {
          const result = await runHostCommand(bins.pgIsready, connect(database), { signal: probeSignal });
          return result.exitCode === 0 ? { ready: true } : { ready: false, detail: (result.stdout || result.stderr).trim() };
        },
        async runSql(database, statements, what, runOptions = {}) {
          await runHostChecked(bins.psql, ["-X", "-q", "-v", "ON_ERROR_STOP=1", ...connect(database), "-f", "-"], what, {
            ...runOptions,
            env: { ...runOptions.env, ...env },
            stdin: sqlScript(statements),
          });
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
