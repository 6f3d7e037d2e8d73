/**
 * The history's Postgres driver, for a team sharing one history across CI runners and
 * laptops: `postgres` (porsager/postgres, no dependencies). Statements come with `?`
 * placeholders (shared with SQLite) and are numbered `$1, $2...` here; BIGINT columns
 * come back as numbers (epoch ms fit), BYTEA as bytes.
 */
import type postgres from "postgres";
import type { SqlDriver, SqlValue } from "./sql-driver.js";

/** `?` placeholders to `$n` (the history's statements hold no `?` in strings). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

type Sql = postgres.Sql | postgres.TransactionSql;

function driverOver(sql: Sql, end: () => Promise<void>): SqlDriver {
  const params = (values: readonly SqlValue[]) => values.map((v) => (v instanceof Uint8Array ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v)) as postgres.ParameterOrJSON<never>[];
  return {
    dialect: "postgres",
    async all<T>(text: string, values: readonly SqlValue[] = []): Promise<T[]> {
      return [...(await sql.unsafe(numbered(text), params(values)))] as T[];
    },
    async run(text: string, values: readonly SqlValue[] = []): Promise<number> {
      return (await sql.unsafe(numbered(text), params(values))).count;
    },
    async transaction<T>(body: (tx: SqlDriver) => Promise<T>): Promise<T> {
      if (!("begin" in sql)) return body(driverOver(sql, end)); // already in one
      return (await sql.begin(async (tx) => {
        // Every rigd sharing the database migrates and prunes in turn.
        await tx.unsafe("SELECT pg_advisory_xact_lock(hashtext('rig.suites.history'))");
        return body(driverOver(tx, end));
      })) as T;
    },
    close: end,
  };
}

/** Connects to `url` (postgres://user:pass@host:port/db); fails fast when nobody answers. */
export async function openPostgres(url: string): Promise<SqlDriver> {
  // Loaded only by a rigd with a Postgres history (~150 ms of start-up otherwise).
  const { default: connect } = await import("postgres");
  const sql = connect(url, {
    max: 4,
    connect_timeout: 10,
    onnotice: () => {}, // "relation already exists, skipping" and the like
    types: { bigint: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) } },
  });
  try {
    await sql`SELECT 1`;
  } catch (err) {
    await sql.end({ timeout: 1 });
    throw new Error(`cannot reach the Postgres history at ${redacted(url)}: ${(err as Error).message}`);
  }
  return driverOver(sql, () => sql.end({ timeout: 5 }));
}

/** The URL without its password, for messages. */
export function redacted(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(an unparsable URL)";
  }
}
