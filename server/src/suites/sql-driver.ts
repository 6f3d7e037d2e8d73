/**
 * The little the run history needs from a database, so one history (run-history.ts) with
 * one schema (history-schema.ts) runs on SQLite (one rigd, RIG_DIR) and on Postgres (a
 * team sharing one history): statements written once with `?` placeholders.
 */

/** A value a statement takes or a row holds. */
export type SqlValue = string | number | null | Uint8Array;

/** One connection (or pool) to a history database. */
export interface SqlDriver {
  readonly dialect: "sqlite" | "postgres";
  /** Rows of a query. */
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; resolves to the rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /** Runs `body` in one transaction (serialised against other writers: BEGIN IMMEDIATE, an advisory lock). */
  transaction<T>(body: (tx: SqlDriver) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
