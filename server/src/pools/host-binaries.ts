/**
 * Finds the host's Postgres and Redis binaries for the host runtime, or says which
 * places were searched and how to install them.
 *
 * Postgres: `$RIG_PG_BINDIR`, then Debian's `/usr/lib/postgresql/<major>/bin` (newest
 * major first), then `pg_config --bindir`, then PATH. Redis: `$RIG_REDIS_BINDIR`, then PATH.
 */
import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { isExecutable, pathDirs } from "../os/executables.js";

/** The Postgres programs the host runtime runs. */
export interface PostgresBinaries {
  readonly bindir: string;
  /** Major version (`15`, `16`): one cluster per rigd and major. */
  readonly major: string;
  readonly initdb: string;
  readonly postgres: string;
  readonly psql: string;
  readonly pgIsready: string;
}

/** The Redis programs the host runtime runs. */
export interface RedisBinaries {
  readonly redisServer: string;
  readonly redisCli: string;
}

/** Thrown when the host lacks a server's binaries; the message says where rig looked and how to install. */
export class HostBinariesMissingError extends Error {
  constructor(what: string, searched: readonly string[], install: string) {
    super(
      `no ${what} on this host (looked in ${searched.join(", ")}): install it (Debian/Ubuntu: \`${install}\`), ` +
        "or use a Docker engine (runtime docker)",
    );
    this.name = "HostBinariesMissingError";
  }
}

const POSTGRES_PROGRAMS = ["initdb", "postgres", "psql", "pg_isready"] as const;

function hasAll(dir: string, programs: readonly string[]): boolean {
  return programs.every((p) => isExecutable(join(dir, p)));
}

/** `/usr/lib/postgresql/<major>/bin` dirs, newest major first. */
function debianBindirs(): string[] {
  try {
    return readdirSync("/usr/lib/postgresql")
      .filter((v) => /^\d+(\.\d+)?$/.test(v))
      .sort((a, b) => Number(b) - Number(a))
      .map((v) => `/usr/lib/postgresql/${v}/bin`);
  } catch {
    return [];
  }
}

function pgConfigBindir(): string | undefined {
  try {
    return execFileSync("pg_config", ["--bindir"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The major version of the server in `bindir` (`postgres --version` -> `postgres (PostgreSQL) 15.8`). */
function majorOf(bindir: string): string {
  const fromPath = /\/postgresql\/(\d+)\//.exec(`${bindir}/`)?.[1];
  if (fromPath) return fromPath;
  try {
    const version = execFileSync(join(bindir, "postgres"), ["--version"], { encoding: "utf8", timeout: 5_000 });
    return /(\d+)(\.\d+)?/.exec(version)?.[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

let postgresCache: PostgresBinaries | undefined;

/** The Postgres binaries of this host; throws HostBinariesMissingError when there are none. */
export function findPostgresBinaries(): PostgresBinaries {
  if (postgresCache) return postgresCache;
  const fromEnv = process.env["RIG_PG_BINDIR"];
  const candidates = [...(fromEnv ? [fromEnv] : []), ...debianBindirs()];
  const searched = [...(fromEnv ? [`$RIG_PG_BINDIR (${fromEnv})`] : []), "/usr/lib/postgresql/*/bin"];
  let bindir = candidates.find((dir) => hasAll(dir, POSTGRES_PROGRAMS));
  if (!bindir) {
    const fromPgConfig = pgConfigBindir();
    searched.push("pg_config --bindir");
    if (fromPgConfig && hasAll(fromPgConfig, POSTGRES_PROGRAMS)) bindir = fromPgConfig;
  }
  if (!bindir) {
    searched.push("PATH");
    bindir = pathDirs().find((dir) => hasAll(dir, POSTGRES_PROGRAMS));
  }
  if (!bindir) throw new HostBinariesMissingError(`Postgres server binaries (${POSTGRES_PROGRAMS.join(", ")})`, searched, "apt-get install postgresql");
  postgresCache = {
    bindir,
    major: majorOf(bindir),
    initdb: join(bindir, "initdb"),
    postgres: join(bindir, "postgres"),
    psql: join(bindir, "psql"),
    pgIsready: join(bindir, "pg_isready"),
  };
  return postgresCache;
}

let redisCache: RedisBinaries | undefined;

/** The Redis binaries of this host; throws HostBinariesMissingError when there are none. */
export function findRedisBinaries(): RedisBinaries {
  if (redisCache) return redisCache;
  const fromEnv = process.env["RIG_REDIS_BINDIR"];
  const dirs = [...(fromEnv ? [fromEnv] : []), ...pathDirs(), "/usr/bin", "/usr/local/bin"];
  const dir = dirs.find((d) => hasAll(d, ["redis-server", "redis-cli"]));
  if (!dir) {
    const searched = [...(fromEnv ? [`$RIG_REDIS_BINDIR (${fromEnv})`] : []), "PATH", "/usr/bin", "/usr/local/bin"];
    throw new HostBinariesMissingError("redis-server and redis-cli", searched, "apt-get install redis-server");
  }
  redisCache = { redisServer: join(dir, "redis-server"), redisCli: join(dir, "redis-cli") };
  return redisCache;
}
