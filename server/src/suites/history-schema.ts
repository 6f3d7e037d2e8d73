/**
 * The schema of the run history, one list of migrations for SQLite and Postgres (types
 * spelled per dialect), and the migrator: `rig_schema` holds the version; each migration
 * runs in its own transaction, serialised across rigds sharing a database. Never edit a
 * migration that shipped: add the next one.
 */
import type { SqlDriver } from "./sql-driver.js";

const TYPES = {
  sqlite: { SERIAL: "INTEGER PRIMARY KEY AUTOINCREMENT", BIGINT: "INTEGER", BLOB: "BLOB" },
  postgres: { SERIAL: "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY", BIGINT: "BIGINT", BLOB: "BYTEA" },
} as const;

/** Each migration is a list of statements; {SERIAL}, {BIGINT} and {BLOB} are spelled per dialect. */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE suites (
       name TEXT PRIMARY KEY,
       definition TEXT NOT NULL,
       updated_at {BIGINT} NOT NULL
     )`,
    `CREATE TABLE runs (
       seq {SERIAL},
       id TEXT NOT NULL UNIQUE,
       suite TEXT NOT NULL,
       namespace TEXT NOT NULL,
       status INTEGER NOT NULL,
       trigger INTEGER NOT NULL,
       filter TEXT NOT NULL DEFAULT '',
       idempotency_key TEXT,
       started_at {BIGINT} NOT NULL,
       finished_at {BIGINT},
       exit_code INTEGER NOT NULL DEFAULT 0,
       error TEXT NOT NULL DEFAULT '',
       attempts INTEGER NOT NULL DEFAULT 0,
       provoke_of TEXT NOT NULL DEFAULT '',
       owner TEXT NOT NULL DEFAULT ''
     )`,
    "CREATE UNIQUE INDEX runs_idempotency ON runs (suite, idempotency_key) WHERE idempotency_key IS NOT NULL",
    "CREATE INDEX runs_suite_started ON runs (suite, started_at DESC)",
    `CREATE TABLE test_attempts (
       seq {SERIAL},
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       name TEXT NOT NULL,
       attempt INTEGER NOT NULL,
       result INTEGER NOT NULL,
       duration_ms {BIGINT} NOT NULL,
       output {BLOB},
       UNIQUE (run_id, name, attempt)
     )`,
    `CREATE TABLE run_environments (
       seq {SERIAL},
       run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
       environment_id TEXT NOT NULL,
       test_name TEXT NOT NULL DEFAULT '',
       UNIQUE (run_id, environment_id)
     )`,
  ],
];

/** The newest schema version this rigd knows. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The statements of migration `version` (1-based) for a dialect. */
function statements(version: number, dialect: SqlDriver["dialect"]): string[] {
  const types = TYPES[dialect];
  return MIGRATIONS[version - 1]!.map((s) => s.replace(/\{(SERIAL|BIGINT|BLOB)\}/g, (_m, t: keyof typeof types) => types[t]));
}

/** The version of the database's schema (0: empty). */
export async function schemaVersion(db: SqlDriver): Promise<number> {
  await db.run("CREATE TABLE IF NOT EXISTS rig_schema (version INTEGER NOT NULL)");
  const [row] = await db.all<{ version: number }>("SELECT MAX(version) AS version FROM rig_schema");
  return Number(row?.version ?? 0);
}

/** Migrates to SCHEMA_VERSION; throws when the database is newer than this rigd. */
export async function migrate(db: SqlDriver, where: string): Promise<void> {
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const current = await schemaVersion(tx);
      if (current > SCHEMA_VERSION) {
        throw new Error(`${where} has schema version ${current}, newer than this rigd knows (${SCHEMA_VERSION}); run a newer rigd or use another database`);
      }
      if (current === SCHEMA_VERSION) return true;
      for (const sql of statements(current + 1, tx.dialect)) await tx.run(sql);
      await tx.run("INSERT INTO rig_schema (version) VALUES (?)", [current + 1]);
      return false;
    });
    if (done) return;
  }
}
