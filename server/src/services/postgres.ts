/**
 * The `postgres` service type (SPEC §5): a fresh database per environment on a pooled
 * server, attributes PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE and DATABASE_URL,
 * readiness by `pg_isready`, `sql` hooks through psql, `exec` hooks; all of them run
 * where the server runs.
 *
 * Runtime (`config.runtime`): `docker` runs one container per image; `host` runs the
 * host's Postgres (Debian's `postgresql`) as children of rigd, one cluster per major
 * version, no Docker needed; unspecified (auto) picks Docker when an engine answers,
 * else the host.
 *
 * Init SQL and templates: the leading `sql` hooks of `init` (those before any other
 * init hook, when there are no prestart hooks that could observe the order) are sent
 * with the lease request. The pool builds a template database for that SQL once per
 * server and clones it for every environment with the same SQL. The lease remembers
 * which hooks the clone already holds, in order; runHook skips exactly those, so a
 * cloned database is never migrated twice and anything else still runs.
 */
import { imageReferenceProblem } from "../docker/image-reference.js";
import type Docker from "dockerode";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { Protocol, type Hook, type PostgresConfig } from "../gen/rig/v1/spec_pb.js";
import { imageArtifact } from "../docker/image-artifact.js";
import { findPostgresBinaries } from "../pools/host-binaries.js";
import { leasedService } from "../pools/leased-service.js";
import { sqlHash, type PostgresLease, type PostgresPool } from "../pools/postgres-backend.js";
import { hostPostgresKey } from "../pools/postgres-host-runtime.js";
import { poolKey, type RuntimeChooser } from "../pools/server-runtime.js";
import type { PlannedService } from "../contract/plan.js";
import type { ServiceType } from "../contract/service-type.js";
import { publishAt } from "./publish-local.js";
import { pooledServerArtifact, requestedRuntime } from "./pooled-runtime.js";

/** Image of postgres services that name none (overridable by RIG_POSTGRES_IMAGE). */
export const DEFAULT_POSTGRES_IMAGE = "postgres:16-alpine";

/** What the postgres type needs from rigd. */
export interface PostgresTypeDeps {
  readonly docker: Docker;
  /** The shared pool (it labels its containers with the owning rigd). */
  readonly pool: PostgresPool;
  /** Resolves the auto runtime (Docker when an engine answers, else host). */
  readonly runtimes: RuntimeChooser;
  /** Image when the spec names none. Default: $RIG_POSTGRES_IMAGE, else postgres:16-alpine. */
  readonly defaultImage?: string;
  /** Clone databases from templates for identical init SQL. Default true. */
  readonly templateDatabases?: boolean;
}

interface LeaseState {
  readonly lease: PostgresLease;
  /** Hashes of the init SQL hooks the database already holds (cloned), in run order. */
  readonly applied: string[];
}

/** The SQL hooks a template can hold: the leading sql hooks of init, when nothing can observe their order. */
export function templateSql(service: PlannedService): string[][] {
  if (service.prestart.length > 0) return [];
  const hooks: string[][] = [];
  for (const hook of service.init) {
    if (hook.action.case !== "sql") break;
    hooks.push([...hook.action.value.statements]);
  }
  return hooks;
}

/** The postgres type. */
export function createPostgresType(deps: PostgresTypeDeps): ServiceType<PostgresConfig> {
  const { docker, pool, runtimes } = deps;
  const defaultImage = deps.defaultImage ?? process.env["RIG_POSTGRES_IMAGE"] ?? DEFAULT_POSTGRES_IMAGE;
  const imageOf = (service: PlannedService<PostgresConfig>): string => service.config.image || defaultImage;
  const leases = new Map<string, LeaseState>();
  const keyOf = (ctx: { environment: { id: string }; service: { name: string } }): string =>
    `${ctx.environment.id}/${ctx.service.name}`;
  const leaseOf = (ctx: { environment: { id: string }; service: { name: string } }): LeaseState => {
    const state = leases.get(keyOf(ctx));
    if (!state) throw new Error(`postgres service ${ctx.service.name} has no database lease (publish did not run or it was released)`);
    return state;
  };

  return {
    name: "postgres",
    defaults: {
      defaultProtocol: Protocol.TCP,
      serverHooks: ["sql", "exec"],
      attributes: ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "DATABASE_URL"],
    },

    configOf: (service) => (service.config.case === "postgres" ? service.config.value : undefined),

    validate({ service, problems }) {
      const imageProblem = service.config.image ? imageReferenceProblem(service.config.image) : undefined;
      if (imageProblem) problems.add("postgres.image", imageProblem);
      if (service.ingresses.length > 1) problems.add("ingresses", "a postgres service has exactly one ingress (the server's 5432)");
    },

    artifacts(ctx) {
      return [
        pooledServerArtifact(
          "postgres",
          requestedRuntime(ctx.service.config.runtime),
          runtimes,
          imageArtifact(docker, imageOf(ctx.service)),
          findPostgresBinaries,
        ),
      ];
    },

    async publish(ctx) {
      const template = deps.templateDatabases === false ? [] : templateSql(ctx.service);
      const runtime = await runtimes.choose(requestedRuntime(ctx.service.config.runtime));
      const lease = await pool.acquire(
        runtime === "docker" ? poolKey("docker", imageOf(ctx.service)) : poolKey("host", hostPostgresKey()),
        { service: ctx.service.name, ...(template.length > 0 ? { template } : {}) },
        ctx.signal,
      );
      const key = keyOf(ctx);
      leases.set(key, { lease, applied: lease.data.clonedFrom ? template.map((statements) => sqlHash([statements])) : [] });
      ctx.onRelease(async () => {
        leases.delete(key);
        await lease.release();
      });
      const server = lease.backend;
      const database = lease.data.database;
      const auth = `${encodeURIComponent(server.user)}:${encodeURIComponent(server.password)}`;
      const endpoints = publishAt(ctx, server, {
        PGHOST: "${HOST}",
        PGPORT: "${PORT}",
        PGUSER: server.user,
        PGPASSWORD: server.password,
        PGDATABASE: database,
        DATABASE_URL: `postgres://${auth}@\${HOSTPORT}/${database}?sslmode=disable`,
      });
      ctx.log.debug({ database, clonedFrom: lease.data.clonedFrom, server: server.name }, "database leased");
      return endpoints;
    },

    async start(ctx) {
      const { lease } = leaseOf(ctx);
      return leasedService(`database ${lease.data.database} on ${lease.backend.name}`, lease.backend.exited);
    },

    readiness(ctx) {
      const { lease } = leaseOf(ctx);
      return (signal) => lease.backend.databaseReady(lease.data.database, signal);
    },

    async runHook(ctx, hook: Hook) {
      const state = leaseOf(ctx);
      const { lease } = state;
      const server = lease.backend;
      const database = lease.data.database;
      const output = (stream: "stdout" | "stderr", line: string): void =>
        ctx.output.line(stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR, line);
      switch (hook.action.case) {
        case "sql": {
          const statements = hook.action.value.statements;
          if (ctx.phase === "init" && state.applied[0] === sqlHash([statements])) {
            state.applied.shift();
            output("stdout", `rig: init SQL (${statements.length} statements) already applied: database cloned from template ${lease.data.clonedFrom}`);
            return;
          }
          await server.runSql(database, statements, `${ctx.phase} SQL hook`, { signal: ctx.signal, onLine: output });
          return;
        }
        case "exec": {
          // Where the server runs (its container, or the host): the database over TCP, as psql and friends read it.
          const local = `${server.localHost}:${server.localPort}`;
          const command = hook.action.value.command;
          if (command.length === 0) throw new Error("exec hook has an empty command");
          await server.exec(command, `exec hook "${command.join(" ")}"`, {
            signal: ctx.signal,
            onLine: output,
            env: {
              PGHOST: server.localHost,
              PGPORT: String(server.localPort),
              PGUSER: server.user,
              PGPASSWORD: server.password,
              PGDATABASE: database,
              DATABASE_URL: `postgres://${server.user}:${server.password}@${local}/${database}?sslmode=disable`,
            },
          });
          return;
        }
        default:
          throw new Error(`postgres services cannot run ${hook.action.case ?? "empty"} hooks server-side`);
      }
    },
  };
}
