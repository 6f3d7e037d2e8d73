/**
 * A process service for end-to-end tests that uses its egresses the way an app would:
 * an HTTP server on $PORT whose `/grpc?text=` calls the `api` egress (gRPC, at
 * $API_HOST:$API_PORT) and whose `/tcp` talks to the `echo` egress ($ECHO_HOST:$ECHO_PORT).
 */
import { createServer } from "node:http";
import { connect } from "node:net";
import { echoClient } from "./echo-grpc.js";

const api = echoClient(`${process.env.API_HOST}:${process.env.API_PORT}`);

function tcpRoundTrip(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(process.env.ECHO_PORT), process.env.ECHO_HOST ?? "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString()));
    socket.on("error", reject);
    socket.end(text);
  });
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://caller");
  const answer = async (): Promise<unknown> => {
    if (url.pathname === "/grpc") return api.say({ text: url.searchParams.get("text") ?? "", repeat_count: 1 });
    if (url.pathname === "/tcp") return { echoed: await tcpRoundTrip(url.searchParams.get("text") ?? "") };
    return { ok: true };
  };
  answer().then(
    (body) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body)),
    (err: Error) => res.writeHead(502).end(err.message),
  );
});
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => {
  api.close();
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
