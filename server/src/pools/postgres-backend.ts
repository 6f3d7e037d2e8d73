/**
 * The Postgres pool: one server per key (a container per image, or host processes per
 * major version), one fresh database per lease. This file is what both runtimes share:
 * the leases, the templates and the admin session; `postgres-docker-runtime.ts` and
 * `postgres-host-runtime.ts` differ only in how the server runs and how psql and
 * pg_isready reach it.
 *
 * Template databases: a lease may ask for its database to start from a list of SQL
 * hooks (the service's init SQL). The first such lease builds a template database
 * holding that schema once per server; every lease with the same SQL (same hash) gets
 * `CREATE DATABASE ... TEMPLATE`, a file copy that takes milliseconds however long the
 * migration took. The lease says whether it was cloned so the type can skip those hooks.
 * A template whose SQL fails is dropped and the lease falls back to an empty database:
 * the hook then runs for real and fails with its own error, as it would without templates.
 *
 * The pool's own commands (CREATE/DROP DATABASE) go through one long-lived psql per
 * server (psql-session.ts), not a process each: a `docker exec` costs more than a clone.
 */
import { createHash, randomBytes } from "node:crypto";
import type { Logger } from "pino";
import { abortable } from "../async/abortable.js";
import { Pool, type Backend, type Lease } from "./pool.js";
import { quoteIdent, quoteLiteral } from "./psql.js";
import type { PsqlSession } from "./psql-session.js";
import type { ServerRuntime } from "./server-runtime.js";

/** Superuser of every pooled server. */
const USER = "rig";
/** Postgres refuses identifiers longer than this (bytes). */
const MAX_IDENT = 63;

/** Where a server's own commands (exec hooks) reach it, and how hooks are told. */
export interface ServerCommandOptions {
  readonly env?: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal;
  onLine?(stream: "stdout" | "stderr", line: string): void;
}

/** A running pooled server, as the postgres type sees it. */
export interface PostgresServer {
  readonly runtime: ServerRuntime;
  /** For messages: the container's name, or `host postgres 15 (pid N)`. */
  readonly name: string;
  /** Published address on the host. */
  readonly host: string;
  readonly port: number;
  /** The address exec hooks reach the server at (inside the container: 127.0.0.1:5432). */
  readonly localHost: string;
  readonly localPort: number;
  /** Resolves (with why) when the server stops. */
  readonly exited: Promise<string>;
  readonly user: string;
  readonly password: string;
  /** pg_isready for `database`, run where the server runs. */
  databaseReady(database: string, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }>;
  /** Runs SQL with psql's script semantics (stop at the first error); rejects with psql's output tail. */
  runSql(database: string, statements: readonly string[], what: string, options?: ServerCommandOptions): Promise<void>;
  /** Runs a command where the server runs (in its container, or on the host). */
  exec(command: readonly string[], what: string, options?: ServerCommandOptions): Promise<void>;
}

/** A server a runtime started: what the shared backend needs from it. */
export interface StartedPostgres extends Omit<PostgresServer, "user" | "password" | "databaseReady"> {
  /** Opens a psql session on the `postgres` database as the superuser. */
  openSession(): Promise<PsqlSession>;
  /** pg_isready for one database; may use the admin session (no process per probe). */
  databaseReady(database: string, admin: () => Promise<PsqlSession>, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }>;
  /** Stops the server and removes its data. */
  stop(): Promise<void>;
}

/** How a server of one key runs: the part that differs between Docker and the host. */
export interface PostgresRuntime {
  /** Starts a server whose superuser is `user` with `password`; ready to accept connections. */
  start(user: string, password: string, signal: AbortSignal): Promise<StartedPostgres>;
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
  /** The runtime of a pool key (`docker:<image>`, `host:<major>`). */
  readonly runtimeOf: (key: string) => PostgresRuntime;
  /** How long a server with no leases lives on. Default 2 minutes. */
  readonly idleMs?: number;
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
  private server: StartedPostgres | undefined;
  private session: Promise<PsqlSession> | undefined;
  private serial = 0;
  /** Template databases by SQL hash; a failed build is forgotten. */
  private readonly templates = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly runtime: PostgresRuntime,
    private readonly log: Logger | undefined,
  ) {}

  async start(signal: AbortSignal): Promise<PostgresServer> {
    const password = randomBytes(12).toString("hex");
    const server = await this.runtime.start(USER, password, signal);
    this.server = server;
    try {
      await this.admin(); // a server we cannot administer is no use; fail the start
    } catch (err) {
      await this.stop();
      throw err;
    }
    return {
      runtime: server.runtime,
      name: server.name,
      host: server.host,
      port: server.port,
      localHost: server.localHost,
      localPort: server.localPort,
      exited: server.exited,
      user: USER,
      password,
      databaseReady: (database, probeSignal) => this.databaseReady(database, probeSignal),
      runSql: (database, statements, what, options) => server.runSql(database, statements, what, options),
      exec: (command, what, options) => server.exec(command, what, options),
    };
  }

  async stop(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    await session?.then((s) => s.close()).catch(() => {});
    const server = this.server;
    this.server = undefined;
    await server?.stop();
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
    const server = this.server;
    if (!server) return Promise.reject(new Error("the postgres server is not running"));
    const opening = server.openSession();
    this.session = opening;
    opening.catch(() => {
      if (this.session === opening) this.session = undefined;
    });
    return opening;
  }

  private async databaseReady(database: string, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }> {
    const server = this.server;
    if (!server) return { ready: false, detail: "the postgres server is not running" };
    try {
      return await server.databaseReady(database, () => this.admin(), signal);
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
    const server = this.server;
    if (!server) return undefined;
    const admin = await this.admin();
    try {
      await admin.sql(`CREATE DATABASE ${quoteIdent(name)}`);
      for (const [i, statements] of hooks.entries()) {
        // The SQL itself runs as the hook would: psql's script semantics, stop at the first error.
        await server.runSql(name, statements, `init SQL hook ${i + 1} in template ${name}`);
      }
      // Nobody may connect to it any more: CREATE DATABASE ... TEMPLATE needs it idle.
      await admin.sql(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS false`);
      return name;
    } catch (err) {
      this.log?.warn({ err, template: name }, "building a template database failed; leases fall back to running the SQL");
      await admin.sql(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`).catch(() => {});
      return undefined;
    }
  }
}

/** The Postgres pool: key = runtime and what it runs (`docker:<image>`, `host:<major>`). */
export function createPostgresPool(options: PostgresPoolOptions): PostgresPool {
  return new Pool({
    name: "postgres",
    create: (key) => new PostgresBackend(options.runtimeOf(key), options.log),
    idleMs: options.idleMs ?? 120_000,
    ...(options.log ? { log: options.log } : {}),
  });
}
