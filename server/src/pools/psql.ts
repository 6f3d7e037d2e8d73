/**
 * SQL through `psql` inside the Postgres container: rigd has no SQL driver, and the
 * image ships psql with trusted local (socket) connections.
 */
import type Docker from "dockerode";
import { execChecked, type ExecResult } from "../docker/container-exec.js";

/** Quotes an identifier for SQL: `a"b` -> `"a""b"`. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes a string literal for SQL: `it's` -> `'it''s'`. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Statements as one psql script: each ends with `;` so psql runs it. */
export function sqlScript(statements: readonly string[]): string {
  return statements
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => (s.endsWith(";") ? s : `${s};`))
    .join("\n");
}

/** Where psql connects: the server's superuser and a database. */
export interface PsqlTarget {
  readonly container: string;
  readonly user: string;
  readonly database: string;
}

/** Runs the statements with psql (stop at the first error); rejects with psql's output tail. */
export function runPsql(
  docker: Docker,
  target: PsqlTarget,
  statements: readonly string[],
  what: string,
  options: { signal?: AbortSignal; onLine?(stream: "stdout" | "stderr", line: string): void } = {},
): Promise<ExecResult> {
  return execChecked(
    docker,
    target.container,
    ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", target.user, "-d", target.database, "-f", "-"],
    what,
    { stdin: sqlScript(statements), ...options },
  );
}
