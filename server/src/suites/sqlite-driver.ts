/**
 * The history's SQLite driver: Node's built-in `node:sqlite` (no native addon), WAL, foreign
 * keys on. Synchronous underneath; one rigd owns the file.
 */
import { DatabaseSync } from "node:sqlite";
import type { SqlDriver, SqlValue } from "./sql-driver.js";

/** Opens (creating) `file`. */
export function openSqlite(file: string): SqlDriver {
  const db = new DatabaseSync(file);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;");
  let depth = 0;
  const driver: SqlDriver = {
    dialect: "sqlite",
    async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
      return db.prepare(sql).all(...params) as T[];
    },
    async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
      return Number(db.prepare(sql).run(...params).changes);
    },
    async transaction<T>(body: (tx: SqlDriver) => Promise<T>): Promise<T> {
      // Nested calls join the outer transaction.
      if (depth > 0) return body(driver);
      db.exec("BEGIN IMMEDIATE");
      depth++;
      try {
        const result = await body(driver);
        db.exec("COMMIT");
        return result;
      } catch (err) {
        db.exec("ROLLBACK");
        throw err;
      } finally {
        depth--;
      }
    },
    async close(): Promise<void> {
      db.close();
    },
  };
  return driver;
}
