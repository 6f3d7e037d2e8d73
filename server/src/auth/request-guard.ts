/**
 * The HTTP gate in front of every handler, for HTTP/1.1 and h2c alike. It stops web pages:
 * a DNS-rebinding page reaches 127.0.0.1 under its own host name, so the Host header
 * (`:authority` on HTTP/2) must name rigd's loopback address; a cross-origin page sends an
 * Origin, so a request with an Origin other than rigd's own is refused. Both get a plain
 * HTTP 403 and no CORS headers, before any RPC handler runs.
 */
import type http from "node:http";
import type http2 from "node:http2";
import net from "node:net";

/** A Node request handler for both the http and the http2 compatibility API. */
type RequestHandler = (
  req: http.IncomingMessage | http2.Http2ServerRequest,
  res: http.ServerResponse | http2.Http2ServerResponse,
) => void;

/** Where rigd listens: a loopback TCP port, or a unix socket. */
export type GuardedAddress = { readonly kind: "tcp"; readonly host: string; readonly port: number } | { readonly kind: "unix" };

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * Whether a Host value names rigd on `port`: `localhost` or a loopback IP literal
 * (127.0.0.0/8, `[::1]`) with rigd's port. A DNS-rebinding page can only send a name it
 * controls, never one of these; an IP literal cannot be rebound.
 */
export function namesRigd(hostHeader: string, port: number): boolean {
  const match = /^(?:\[([^\]]+)\]|(.*?)):(\d+)$/.exec(hostHeader.trim().toLowerCase());
  if (!match || Number(match[3]) !== port) return false;
  const host = match[1] ?? match[2] ?? "";
  if (host === "localhost") return true;
  // Node's http2 client sends an IPv6 :authority without brackets (`::1:PORT`).
  if (net.isIPv4(host)) return LOOPBACK.check(host, "ipv4");
  if (net.isIPv6(host)) return LOOPBACK.check(host, "ipv6");
  return false;
}

/**
 * Host values that named rigd, by port: a client sends the same one on every call, and
 * parsing it cost ~15 µs of each call. Only names that passed are kept, at most
 * KNOWN_NAMES of them, so a flood of made-up names cannot grow it.
 */
const knownNames = new Set<string>();
const KNOWN_NAMES = 64;

function namesRigdCached(hostHeader: string, port: number): boolean {
  const key = `${port} ${hostHeader}`;
  if (knownNames.has(key)) return true;
  if (!namesRigd(hostHeader, port)) return false;
  if (knownNames.size >= KNOWN_NAMES) knownNames.clear();
  knownNames.add(key);
  return true;
}

/** The Origins that are rigd's own (a later dashboard served by rigd). */
export function allowedOrigins(host: string, port: number): Set<string> {
  const named = host.includes(":") ? `[${host}]` : host;
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `${named}:${port}`].map((h) => `http://${h}`));
}

/** Why a request is refused, or undefined when it may pass. */
export function refusal(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  address: GuardedAddress,
): string | undefined {
  const origin = first(headers["origin"]);
  if (address.kind === "unix") {
    // No browser can open a unix socket, so the Host does not matter; an Origin would
    // only come from something relaying a page, refuse it all the same.
    return origin === undefined ? undefined : `cross-origin request (Origin ${origin}) refused`;
  }
  const authority = first(headers[":authority"]);
  const host = first(headers["host"]);
  if (authority === undefined && host === undefined) return "request without a Host header refused";
  for (const name of [authority, host]) {
    if (name !== undefined && !namesRigdCached(name, address.port)) return `Host "${name}" is not rigd's address; refused (DNS rebinding?)`;
  }
  if (origin !== undefined && !allowedOrigins(address.host, address.port).has(origin.toLowerCase())) {
    return `cross-origin request (Origin ${origin}) refused`;
  }
  return undefined;
}

/**
 * Wraps `handler` so refused requests get 403 and never reach it. The Host of a request
 * let through is rewritten to a form the Connect adapter can parse into a URL (it throws
 * otherwise, out of the request handler): on a unix socket it is whatever the client
 * made of the path (grpc-python sends the percent-encoded path) and becomes `localhost`;
 * an IPv6 literal without brackets (Node's http2 client sends `::1:PORT`) gets them.
 */
export function guardRequests<H extends RequestHandler>(handler: H, address: () => GuardedAddress): H {
  return ((req: Parameters<H>[0], res: Parameters<H>[1]) => {
    const where = address();
    const why = refusal(req.headers, where);
    if (why !== undefined) {
      reply(res, 403, `rigd: ${why}\n`);
      return;
    }
    for (const name of [":authority", "host"] as const) {
      const value = first(req.headers[name]);
      if (value !== undefined) req.headers[name] = where.kind === "unix" ? "localhost" : bracketed(value);
    }
    try {
      handler(req, res);
    } catch (err) {
      // Whatever slips through must cost one request, never rigd.
      reply(res, 400, `rigd: bad request: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }) as H;
}

/** `::1:7070` -> `[::1]:7070`; anything else unchanged. */
function bracketed(hostPort: string): string {
  const at = hostPort.lastIndexOf(":");
  const host = hostPort.slice(0, at);
  return net.isIPv6(host) ? `[${host}]${hostPort.slice(at)}` : hostPort;
}

function reply(res: Parameters<RequestHandler>[1], status: number, text: string): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = status;
  res.setHeader("content-type", "text/plain; charset=utf-8");
  res.end(text);
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
