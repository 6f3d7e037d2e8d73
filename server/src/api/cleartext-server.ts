/**
 * One cleartext TCP port that serves the same request handler over HTTP/2 (h2c, needed
 * by gRPC) and HTTP/1.1 (curl, fetch, gRPC-Web, Connect JSON).
 *
 * `http2.createServer({ allowHTTP1: true })` only falls back to HTTP/1.1 through TLS
 * ALPN, so without TLS we look at the first bytes of each connection: an HTTP/2 client
 * starts with the connection preface `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`, anything else is
 * HTTP/1.x. The peeked bytes are pushed back and the socket is handed to an (unbound)
 * `http2` or `http` server. Every socket is tracked so close() is prompt.
 */
import http from "node:http";
import http2 from "node:http2";
import { chmod, lstat, rm } from "node:fs/promises";
import net from "node:net";
import { routeByPreface } from "../net/preface-router.js";

/** A request handler for both the http and the http2 compatibility API. */
/** Time to send a request's headers (and the connection's first bytes). */
const HEADERS_TIMEOUT_MS = 10_000;
/** Time to send a whole HTTP/1.1 request (bodies are small; responses may stream on). */
const REQUEST_TIMEOUT_MS = 30_000;
/** An HTTP/2 session with no stream open for this long is closed. */
const IDLE_SESSION_MS = 120_000;

/** Closes an HTTP/2 session once it has had no open stream for IDLE_SESSION_MS. */
function closeWhenIdle(session: http2.ServerHttp2Session): void {
  let open = 0;
  let timer: NodeJS.Timeout | undefined = setTimeout(() => session.close(), IDLE_SESSION_MS).unref();
  session.on("stream", (stream: http2.ServerHttp2Stream) => {
    open++;
    clearTimeout(timer);
    stream.once("close", () => {
      if (--open === 0 && !session.closed) timer = setTimeout(() => session.close(), IDLE_SESSION_MS).unref();
    });
  });
  session.once("close", () => clearTimeout(timer));
}

export type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** A listening cleartext server; close() stops it. */
export interface CleartextServer {
  /** The bound address, e.g. `{ host: "127.0.0.1", port: 43121 }` (`""` and 0 on a unix socket). */
  readonly host: string;
  readonly port: number;
  /** The socket path when serving on a unix socket. */
  readonly path?: string;
  /**
   * Stops accepting connections, lets running calls finish for up to `graceMs`, then
   * destroys whatever is still open. Resolves once every socket is closed.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Binds `host:port` (port 0 picks a free one), or the unix socket `{ path }` (created
 * `0600`; a stale socket nobody answers on is replaced), and serves `handler` on it.
 */
export async function listenCleartext(
  handler: RequestHandler,
  host: string | { readonly path: string },
  port = 0,
): Promise<CleartextServer> {
  const sockets = new Set<net.Socket>();
  /** HTTP/1.1 sockets with a request in progress; idle ones may be closed at once. */
  const busyHttp1 = new Set<net.Socket>();
  const sessions = new Set<http2.ServerHttp2Session>();
  /** Sockets handed to the HTTP/2 server; their sessions close gracefully themselves. */
  const http2Sockets = new WeakSet<net.Socket>();
  let closing = false;

  const h2 = http2.createServer({}, handler);
  h2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    if (closing) session.close();
    closeWhenIdle(session);
  });
  // Session-level protocol errors only concern that client; never crash rigd.
  h2.on("sessionError", () => {});

  const h1 = http.createServer(handler);
  // A client that opens a connection and sends half a request is dropped, not kept forever.
  h1.headersTimeout = HEADERS_TIMEOUT_MS;
  h1.requestTimeout = REQUEST_TIMEOUT_MS;
  h1.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    busyHttp1.add(socket);
    res.once("close", () => {
      busyHttp1.delete(socket);
      if (closing) socket.destroy();
    });
  });
  h1.on("clientError", (_err, socket) => socket.destroy());

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      busyHttp1.delete(socket);
    });
    if (closing) {
      socket.destroy();
      return;
    }
    // Until the first bytes tell the protocol, a silent connection costs a timer only.
    socket.setTimeout(HEADERS_TIMEOUT_MS, () => socket.destroy());
    routeByPreface(socket, (isHttp2) => {
      socket.setTimeout(0);
      if (isHttp2) http2Sockets.add(socket);
      (isHttp2 ? h2 : h1).emit("connection", socket);
    });
  });

  const socketPath = typeof host === "string" ? undefined : host.path;
  if (socketPath !== undefined) await removeStaleSocket(socketPath);
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(socketPath !== undefined ? { path: socketPath } : { host: host as string, port }, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  if (socketPath !== undefined) await chmod(socketPath, 0o600);
  const bound = socketPath !== undefined ? { address: "", port: 0 } : (tcp.address() as net.AddressInfo);

  let closed: Promise<void> | undefined;
  return {
    host: bound.address,
    port: bound.port,
    ...(socketPath !== undefined ? { path: socketPath } : {}),
    close(graceMs = 2000): Promise<void> {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        tcp.close(() => resolve());
        for (const session of sessions) session.close(); // GOAWAY, running streams finish
        for (const socket of sockets) {
          // HTTP/1.1 sockets between requests and sockets still being sniffed go now.
          if (!busyHttp1.has(socket) && !http2Sockets.has(socket)) socket.destroy();
        }
        const deadline = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        tcp.once("close", () => clearTimeout(deadline));
      });
      return closed;
    },
  };
}

/** Removes a socket file no server answers on (left by a rigd that died); anything else stays and fails the bind. */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const stat = await lstat(socketPath).catch(() => undefined);
  if (!stat?.isSocket()) return;
  const answered = await new Promise<boolean>((resolve) => {
    const probe = net.connect({ path: socketPath });
    probe.once("connect", () => {
      probe.destroy();
      resolve(true);
    });
    probe.once("error", () => resolve(false));
  });
  if (!answered) await rm(socketPath, { force: true });
}
