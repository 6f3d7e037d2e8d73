/**
 * The HTTP target of the proxy benchmarks as a process service: answers every request
 * with a small JSON body on $HOST:$PORT (rig wiring), keep-alive, until SIGTERM.
 */
import { once } from "node:events";
import { createServer } from "node:http";

const body = Buffer.from(JSON.stringify({ ok: true, items: [1, 2, 3] }));
const server = createServer({ keepAlive: true }, (req, res) => {
  req.resume();
  req.on("end", () => res.writeHead(200, { "content-type": "application/json", "content-length": body.length }).end(body));
});
server.listen(Number(process.env.PORT ?? 0), process.env.HOST ?? "127.0.0.1");
await once(server, "listening");
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
