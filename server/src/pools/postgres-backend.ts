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
 *
 * The pool's own commands (CREATE/DROP DATABASE, pg_isready per lease) go through one
 * long-lived psql per server (psql-session.ts), not a `docker exec` each: an exec costs
 * more than a clone.
 */
import { createHash, randomBytes } from "node:crypto";
import type { StartedContainer } from "../docker/run-container.js";
import { abortable } from "../async/abortable.js";
import { Pool, type Backend, type Lease } from "./pool.js";
import { startPooledContainer, type PooledServerOptions } from "./pooled-container.js";
import { quoteIdent, quoteLiteral, runPsql } from "./psql.js";
import { PsqlSession } from "./psql-session.js";

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
  /** Runs pg_isready for `database` inside the server's container. */
  databaseReady(database: string, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }>;
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
export type PostgresPoolOptions = PooledServerOptions;

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
  private container: StartedContainer | undefined;
  private session: Promise<PsqlSession> | undefined;
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
    await this.admin(); // a server we cannot administer is no use; fail the start
    return {
      image: this.image,
      containerId: started.container.id,
      containerName: started.container.name,
      host: started.host,
      port: started.port,
      exited: started.container.exited.then((exit) => `postgres container exited with code ${exit.code ?? "?"}`),
      user: USER,
      password,
      databaseReady: (database, probeSignal) => this.databaseReady(database, probeSignal),
    };
  }

  async stop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.then((s) => s.close()).catch(() => {});
    await this.container?.remove();
  }

  died(server: PostgresServer): Promise<string> {
    return server.exited;
  }

  async newLease(_server: PostgresServer, request: PostgresLeaseRequest, signal: AbortSignal): Promise<PostgresLeaseData> {
    const database = databaseName(request.service, ++this.serial);
    const template = request.template && request.template.length > 0 ? await this.template(request.template, signal) : undefined;
    const admin = await this.admin();
    await admin.sql(`CREATE DATABASE ${quoteIdent(database)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ""}`, signal);
    return template ? { database, clonedFrom: template } : { database };
  }

  async dropLease(_server: PostgresServer, lease: PostgresLeaseData): Promise<void> {
    const admin = await this.admin();
    // Services are stopped before leases are released, but be sure no session keeps the drop waiting.
    await admin.sql(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(lease.database)} AND pid <> pg_backend_pid()`,
    );
    await admin.sql(`DROP DATABASE IF EXISTS ${quoteIdent(lease.database)}`);
  }

  /** The admin session, reopened when psql went away. */
  private admin(): Promise<PsqlSession> {
    const current = this.session;
    if (current) {
      return current.then((s) => {
        if (!s.closed) return s;
        if (this.session === current) this.session = undefined;
        return this.admin();
      });
    }
    const container = this.container;
    if (!container) return Promise.reject(new Error("the postgres server is not running"));
    const opening = PsqlSession.open(this.options.docker, container.id, USER);
    this.session = opening;
    opening.catch(() => {
      if (this.session === opening) this.session = undefined;
    });
    return opening;
  }

  /** pg_isready for one database, inside the container, through the admin session (no exec per probe). */
  private async databaseReady(database: string, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }> {
    try {
      const admin = await this.admin();
      const result = await admin.shell(`pg_isready -h 127.0.0.1 -p 5432 -U ${USER} -d ${database}`, signal);
      return result.exitCode === 0 ? { ready: true } : { ready: false, detail: result.output.trim() };
    } catch (err) {
      // The probe contract: answer "not yet"; the readiness wait decides when to give up.
      return { ready: false, detail: err instanceof Error ? err.message : String(err) };
    }
  }

  /** The template database holding `hooks`, built on first request; undefined when the SQL fails. */
  private template(hooks: readonly (readonly string[])[], signal: AbortSignal): Promise<string | undefined> {
    const hash = sqlHash(hooks);
    let building = this.templates.get(hash);
    if (!building) {
      building = this.buildTemplate(`rig_tpl_${hash.slice(0, 24)}`, hooks);
      this.templates.set(hash, building);
      void building.then((name) => {
        if (name === undefined) this.templates.delete(hash);
      });
    }
    // One environment giving up must not stop the build the others share.
    return abortable(building, signal);
  }

  private async buildTemplate(name: string, hooks: readonly (readonly string[])[]): Promise<string | undefined> {
    const container = this.container;
    if (!container) return undefined;
    const admin = await this.admin();
    try {
      await admin.sql(`CREATE DATABASE ${quoteIdent(name)}`);
      for (const [i, statements] of hooks.entries()) {
        // The SQL itself runs as the hook would: psql's script semantics, stop at the first error.
        await runPsql(this.options.docker, { container: container.id, user: USER, database: name }, statements, `init SQL hook ${i + 1} in template ${name}`);
      }
      // Nobody may connect to it any more: CREATE DATABASE ... TEMPLATE needs it idle.
      await admin.sql(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS false`);
      return name;
    } catch (err) {
      this.options.log?.warn({ err, template: name }, "building a template database failed; leases fall back to running the SQL");
      await admin.sql(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).catch(() => {});
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
