/**
 * One process service for the CLI's recorded runs, by FIXTURE_MODE:
 * - `web`: HTTP on $PORT; `/` 200, `/orders` 500 with a JSON error, `/db` sends a line to
 *   the `db` egress (TCP) and returns the echo; logs each request to stdout.
 * - `echo`: TCP echo on $PORT.
 * - `crash`: prints to stdout and stderr, exits 1.
 * - `silent`: never listens (readiness times out).
 * - `slow`: listens on $PORT after FIXTURE_DELAY_MS.
 * - `ticker`: like `web`, and prints `tick N` every 100 ms.
 */
import { createServer as createHttpServer } from "node:http";
import { connect, createServer as createTcpServer } from "node:net";

const port = Number(process.env.PORT);
const mode = process.env.FIXTURE_MODE;
process.on("SIGTERM", () => process.exit(0));

function web(): void {
  const server = createHttpServer((req, res) => {
    process.stdout.write(`${req.method} ${req.url}\n`);
    if (req.url === "/orders") {
      process.stderr.write("orders: database said: relation \"orders\" does not exist\n");
      res.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ error: "relation \"orders\" does not exist" }));
      return;
    }
    if (req.url === "/db") {
      const socket = connect(Number(process.env.DB_PORT), process.env.DB_HOST ?? "127.0.0.1");
      const chunks: Buffer[] = [];
      socket.on("data", (c: Buffer) => chunks.push(c));
      socket.on("end", () => res.writeHead(200, { "content-type": "text/plain" }).end(Buffer.concat(chunks)));
      socket.on("error", (err) => res.writeHead(502).end(err.message));
      socket.end("ping\n");
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, service: process.env.RIG_SERVICE }));
  });
  server.listen(port, "127.0.0.1", () => process.stdout.write(`listening on ${port}\n`));
}

function echo(): void {
  createTcpServer((socket) => socket.pipe(socket)).listen(port, "127.0.0.1", () => process.stdout.write(`echo on ${port}\n`));
}

switch (mode) {
  case "web":
    web();
    break;
  case "echo":
    echo();
    break;
  case "crash":
    process.stdout.write("loading config\n");
    process.stderr.write("panic: config key \"db.url\" is missing\n");
    process.exit(1);
    break;
  case "silent":
    process.stdout.write("warming caches (never listens)\n");
    setInterval(() => {}, 1000);
    break;
  case "slow":
    process.stdout.write("migrating...\n");
    setTimeout(web, Number(process.env.FIXTURE_DELAY_MS ?? 1500));
    break;
  case "ticker": {
    web();
    let n = 0;
    setInterval(() => process.stdout.write(`tick ${++n}\n`), 100);
    break;
  }
  default:
    process.stderr.write(`unknown FIXTURE_MODE ${mode}\n`);
    process.exit(2);
}
