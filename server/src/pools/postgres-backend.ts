/**
 * The Postgres pool: one server container per image, one fresh database per lease.
 *
 * Template databases: a lease may ask for its database to start from a list of SQL
 * hooks (the service's init SQL). The first such lease builds a template database
 * holding that schema once per server; every lease with the same SQL (same hash) gets
 * `CREATE DATABASE ... TEMPLATE`, a file copy that takes milliseconds however long the
 * migration took. The lease says whether it was cloned so the type can skip those hooks.
 * A template whose SQL fails is dropped and the lease falls back to an empty database:
 * the hook then runs for real and fails with its own error, as it would without templates.
 */
import type Docker from "dockerode";
import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { RigdIdentity } from "../docker/labels.js";
import { execInContainer } from "../docker/container-exec.js";
import { abortable } from "./abortable.js";
import { Pool, type Backend, type Lease } from "./pool.js";
import { startPooledContainer } from "./pooled-container.js";
import { quoteIdent, quoteLiteral, runPsql } from "./psql.js";

/** Superuser of every pooled server. */
const USER = "rig";
/** Postgres refuses identifiers longer than this (bytes). */
const MAX_IDENT = 63;

/** A running pooled server. */
export interface PostgresServer {
  readonly image: string;
  readonly containerId: string;
  readonly containerName: string;
  /** Published address on the host. */
  readonly host: string;
  readonly port: number;
  /** Resolves (with why) when the server's container stops. */
  readonly exited: Promise<string>;
  readonly user: string;
  readonly password: string;
}

/** What a lease asks for. */
export interface PostgresLeaseRequest {
  /** Service name: the database is named after it. */
  readonly service: string;
  /** SQL hooks (statement lists, in order) the database should start with, via a template. */
  readonly template?: readonly (readonly string[])[];
}

/** What a lease got. */
export interface PostgresLeaseData {
  readonly database: string;
  /** The template database it was cloned from (the requested SQL is already applied). */
  readonly clonedFrom?: string;
}

/** A lease of the Postgres pool. */
export type PostgresLease = Lease<PostgresServer, PostgresLeaseData>;

/** The Postgres pool type. */
export type PostgresPool = Pool<PostgresServer, PostgresLeaseRequest, PostgresLeaseData>;

/** Options of the Postgres pool. */
export interface PostgresPoolOptions {
  readonly docker: Docker;
  readonly owner: RigdIdentity;
  /** How long a server with no leases lives on. Default 2 minutes. */
  readonly idleMs?: number;
  readonly startTimeoutMs?: number;
  readonly log?: Logger;
}

/** The identity of a list of SQL hooks: equal hashes mean equal statements in equal order. */
export function sqlHash(hooks: readonly (readonly string[])[]): string {
  return createHash("sha256").update(JSON.stringify(hooks)).digest("hex");
}

/** A unique database name after the service: lower-case, `[a-z0-9_]`, at most 63 bytes. */
export function databaseName(service: string, serial: number): string {
  let base = service.toLowerCase().replace(/[^a-z0-9_]/g, "_");
  if (!/^[a-z_]/.test(base)) base = `db_${base}`;
  const suffix = `_${serial.toString(36)}${randomBytes(3).toString("hex")}`;
  return `${base.slice(0, MAX_IDENT - suffix.length)}${suffix}`;
}

class PostgresBackend implements Backend<PostgresServer, PostgresLeaseRequest, PostgresLeaseData> {
  private container: Awaited<ReturnType<typeof startPooledContainer>>["container"] | undefined;
  private serial = 0;
  /** Template databases by SQL hash; a failed build is forgotten. */
  private readonly templates = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly image: string,
    private readonly options: PostgresPoolOptions,
  ) {}

  async start(signal: AbortSignal): Promise<PostgresServer> {
    const password = randomBytes(12).toString("hex");
    const started = await startPooledContainer(
      this.options.docker,
      this.options.owner,
      {
        kind: "postgres",
        image: this.image,
        // Durability buys nothing for throwaway test data; these make DDL and clones fast.
        cmd: ["postgres", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=500"],
        env: { POSTGRES_USER: USER, POSTGRES_PASSWORD: password, POSTGRES_DB: "postgres" },
        containerPort: 5432,
        tmpfs: { "/var/lib/postgresql/data": "rw" },
        // Over TCP: the entrypoint's temporary init server listens on the socket only.
        readyCheck: ["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432", "-U", USER, "-d", "postgres"],
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
      exited: started.container.exited.then((exit) => `postgres container exited with code ${exit.code ?? "?"}`),
      user: USER,
      password,
    };
  }

  async stop(): Promise<void> {
    await this.container?.remove();
  }

  died(server: PostgresServer): Promise<string> {
    return server.exited;
  }

  async newLease(server: PostgresServer, request: PostgresLeaseRequest, signal: AbortSignal): Promise<PostgresLeaseData> {
    const database = databaseName(request.service, ++this.serial);
    const template = request.template && request.template.length > 0 ? await this.template(server, request.template, signal) : undefined;
    await runPsql(
      this.options.docker,
      { container: server.containerId, user: server.user, database: "postgres" },
      [`CREATE DATABASE ${quoteIdent(database)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ""}`],
      `creating database ${database}`,
      { signal },
    );
    return template ? { database, clonedFrom: template } : { database };
  }

  async dropLease(server: PostgresServer, lease: PostgresLeaseData): Promise<void> {
    // Services are stopped before leases are released, but be sure no session keeps the drop waiting.
    await runPsql(
      this.options.docker,
      { container: server.containerId, user: server.user, database: "postgres" },
      [
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(lease.database)} AND pid <> pg_backend_pid()`,
        `DROP DATABASE IF EXISTS ${quoteIdent(lease.database)}`,
      ],
      `dropping database ${lease.database}`,
    );
  }

  /** The template database holding `hooks`, built on first request; undefined when the SQL fails. */
  private template(server: PostgresServer, hooks: readonly (readonly string[])[], signal: AbortSignal): Promise<string | undefined> {
    const hash = sqlHash(hooks);
    let building = this.templates.get(hash);
    if (!building) {
      building = this.buildTemplate(server, `rig_tpl_${hash.slice(0, 24)}`, hooks);
      this.templates.set(hash, building);
      void building.then((name) => {
        if (name === undefined) this.templates.delete(hash);
      });
    }
    // One environment giving up must not stop the build the others share.
    return abortable(building, signal);
  }

  private async buildTemplate(server: PostgresServer, name: string, hooks: readonly (readonly string[])[]): Promise<string | undefined> {
    const docker = this.options.docker;
    const admin = { container: server.containerId, user: server.user, database: "postgres" };
    try {
      await runPsql(docker, admin, [`CREATE DATABASE ${quoteIdent(name)}`], `creating template ${name}`);
      for (const [i, statements] of hooks.entries()) {
        await runPsql(docker, { ...admin, database: name }, statements, `init SQL hook ${i + 1} in template ${name}`);
      }
      // Nobody may connect to it any more: CREATE DATABASE ... TEMPLATE needs it idle.
      await runPsql(docker, admin, [`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS false`], `sealing template ${name}`);
      return name;
    } catch (err) {
      this.options.log?.warn({ err, template: name }, "building a template database failed; leases fall back to running the SQL");
      await runPsql(docker, admin, [`DROP DATABASE IF EXISTS ${quoteIdent(name)}`], `dropping template ${name}`).catch(() => {});
      return undefined;
    }
  }
}

/** The Postgres pool: key = image. */
export function createPostgresPool(options: PostgresPoolOptions): PostgresPool {
  return new Pool({
    name: "postgres",
    create: (image) => new PostgresBackend(image, options),
    idleMs: options.idleMs ?? 120_000,
    ...(options.log ? { log: options.log } : {}),
  });
}

/** True when pg_isready accepts connections to `database` (run inside the server's container). */
export async function postgresAcceptsConnections(
  docker: Docker,
  server: PostgresServer,
  database: string,
  signal: AbortSignal,
): Promise<{ ready: boolean; detail?: string }> {
  let result;
  try {
    result = await execInContainer(
      docker,
      server.containerId,
      ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", server.user, "-d", database],
      { signal },
    );
  } catch (err) {
    // The probe contract: answer "not yet"; the readiness wait decides when to give up.
    return { ready: false, detail: err instanceof Error ? err.message : String(err) };
  }
  return result.exitCode === 0 ? { ready: true } : { ready: false, detail: (result.stdout || result.stderr).trim() };
}
