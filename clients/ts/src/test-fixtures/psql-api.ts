/**
 * The API of the README's first test, for real: an HTTP service whose GET /orders runs
 * `psql` against its `db` egress (DB_HOST, DB_PORT, DB_PGUSER, ... from rig's wiring)
 * and answers with the rows as JSON.
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";

const env = process.env;
const server = createServer((req, res) => {
  if (req.url !== "/orders") {
    res.end("ok");
    return;
  }
  execFile(
    "psql",
    ["-At", "-c", "select id from orders order by id"],
    {
      env: {
        ...env,
        PGHOST: env.DB_HOST,
        PGPORT: env.DB_PORT,
        PGUSER: env.DB_PGUSER,
        PGPASSWORD: env.DB_PGPASSWORD,
        PGDATABASE: env.DB_PGDATABASE,
      },
    },
    (err, stdout, stderr) => {
      res.writeHead(err ? 500 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(err ? { error: stderr || err.message } : stdout.split("\n").filter(Boolean).map((id) => ({ id: Number(id) }))));
    },
  );
});
server.listen(Number(env.PORT), env.HOST);
process.on("SIGTERM", () => server.close(() => process.exit(0)));
