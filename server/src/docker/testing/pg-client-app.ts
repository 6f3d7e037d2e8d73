/**
 * Fixture of the Docker e2e spec: a process service that reads its Postgres egress from
 * the wiring (DB_PGHOST, DB_PGPORT, DB_PGUSER, DB_PGPASSWORD, DB_PGDATABASE) and runs
 * `GET /query?sql=...` through psql (the host's, else the test image's with host
 * networking, as rigd has no SQL driver either). Serves on HOST:PORT.
 */
import { execFile, execFileSync } from "node:child_process";
import { createServer } from "node:http";

const env = process.env;
const need = (name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set: the wiring did not reach the process`);
  return value;
};
const target = ["-h", need("DB_PGHOST"), "-p", need("DB_PGPORT"), "-U", need("DB_PGUSER"), "-d", need("DB_PGDATABASE")];

function hostHasPsql(): boolean {
  try {
    execFileSync("psql", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const image = env["RIG_TEST_POSTGRES_IMAGE"] ?? "rig-test/postgres:16";
const [command, ...prefix] = hostHasPsql()
  ? ["psql"]
  : ["docker", "run", "--rm", "--network", "host", "-e", "PGPASSWORD", image, "psql"];

const server = createServer((req, res) => {
  const sql = new URL(req.url ?? "/", "http://x").searchParams.get("sql");
  if (!sql) return void res.end("ok\n"); // readiness
  execFile(
    command as string,
    [...prefix, ...target, "-X", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
    { env: { ...env, PGPASSWORD: need("DB_PGPASSWORD") } },
    (err, stdout, stderr) => {
      res.statusCode = err ? 500 : 200;
      res.end(err ? stderr || String(err) : stdout);
    },
  );
});
server.listen(Number(need("PORT")), need("HOST"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
