/**
 * The `postgres` service type (SPEC §5): a fresh database per environment on a pooled
 * server (one container per image), attributes PGHOST PGPORT PGUSER PGPASSWORD
 * PGDATABASE and DATABASE_URL, readiness by `pg_isready` inside the container, `sql`
 * hooks through psql inside the container, `exec` hooks.
 *
 * Init SQL and templates: the leading `sql` hooks of `init` (those before any other
 * init hook, when there are no prestart hooks that could observe the order) are sent
 * with the lease request. The pool builds a template database for that SQL once per
 * server and clones it for every environment with the same SQL. The lease remembers
 * which hooks the clone already holds, in order; runHook skips exactly those, so a
 * cloned database is never migrated twice and anything else still runs.
 */
import type Docker from "dockerode";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { Protocol, type Hook, type PostgresConfig } from "../gen/rig/v1/spec_pb.js";
import { imageArtifact } from "../docker/image-artifact.js";
import { runExecHook } from "../docker/exec-hook.js";
import { leasedService } from "../pools/leased-service.js";
import { sqlHash, type PostgresLease, type PostgresPool } from "../pools/postgres-backend.js";
import { runPsql } from "../pools/psql.js";
import type { PlannedService } from "../contract/plan.js";
import type { PublishedEndpoint, ServiceType } from "../contract/service-type.js";

/** Image of postgres services that name none (overridable by RIG_POSTGRES_IMAGE). */
export const DEFAULT_POSTGRES_IMAGE = "postgres:16-alpine";

/** What the postgres type needs from rigd. */
export interface PostgresTypeDeps {
  readonly docker: Docker;
  /** The shared pool (it labels its containers with the owning rigd). */
  readonly pool: PostgresPool;
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
  const { docker, pool } = deps;
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
      if (service.ingresses.length > 1) problems.add("ingresses", "a postgres service has exactly one ingress (the server's 5432)");
    },

    artifacts(ctx) {
      return [imageArtifact(docker, imageOf(ctx.service))];
    },

    async publish(ctx) {
      const template = deps.templateDatabases === false ? [] : templateSql(ctx.service);
      const lease = await pool.acquire(
        imageOf(ctx.service),
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
      const endpoints: Record<string, PublishedEndpoint> = {};
      for (const ingress of ctx.service.ingresses) {
        endpoints[ingress.name] = {
          host: server.host,
          port: server.port,
          protocol: ingress.protocol,
          attributes: {
            PGHOST: "${HOST}",
            PGPORT: "${PORT}",
            PGUSER: server.user,
            PGPASSWORD: server.password,
            PGDATABASE: database,
            DATABASE_URL: `postgres://${auth}@\${HOSTPORT}/${database}?sslmode=disable`,
            ...ingress.attributes,
          },
        };
      }
      ctx.log.debug({ database, clonedFrom: lease.data.clonedFrom, container: server.containerName }, "database leased");
      return endpoints;
    },

    async start(ctx) {
      const { lease } = leaseOf(ctx);
      return leasedService(`database ${lease.data.database} on ${lease.backend.containerName}`, lease.backend.exited);
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
          await runPsql(docker, { container: server.containerId, user: server.user, database }, statements, `${ctx.phase} SQL hook`, {
            signal: ctx.signal,
            onLine: output,
          });
          return;
        }
        case "exec":
          // Inside the container: the database over the socket, as psql and friends default to.
          await runExecHook(docker, server.containerId, hook.action.value.command, ctx.output, {
            signal: ctx.signal,
            env: {
              PGUSER: server.user,
              PGPASSWORD: server.password,
              PGDATABASE: database,
              DATABASE_URL: `postgres://${server.user}:${server.password}@127.0.0.1:5432/${database}?sslmode=disable`,
            },
          });
          return;
        default:
          throw new Error(`postgres services cannot run ${hook.action.case ?? "empty"} hooks server-side`);
      }
    },
  };
}
