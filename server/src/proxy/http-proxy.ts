/**
 * The HTTP/1.1 proxy: forwards every request to the target over kept-alive
 * connections, streams bodies both ways as they arrive (capturing the first bytes on
 * the side for the event) and passes upgrades (websockets, ...) through as raw byte
 * tunnels. Publishes one `request.completed` per exchange once the response has been
 * delivered.
 *
 * Two cores: plain HTTP/1.1 exchanges go through the raw core (`http1-connection.ts`),
 * which copies bytes between sockets and parses only message boundaries; connections
 * with anything else (upgrades, `Expect`, HTTP/1.0, ...) are handed to the node:http
 * server + client path below. The raw core spends well under half the CPU per request
 * of the node:http path (README, "HTTP/1.1 without node:http on the hot path").
 */
import { Agent, type AgentOptions, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import type { Duplex, Writable } from "node:stream";
import { BODY_CAPTURE_LIMIT, BodyCapture } from "./body-capture.js";
import { serveRawHttp } from "./http1-connection.js";
import { UpstreamPool } from "./http1-upstream-pool.js";
import { closeOnce, listen, serverClosed } from "./listen.js";
import { type ProxyEvent, type ProxyOptions, type RunningProxy, safeSink } from "./proxy-contract.js";
import { requestCompletedEvent } from "./request-event.js";
import { SocketSet } from "./socket-set.js";

/** Options of the HTTP proxy. */
export interface HttpProxyOptions extends ProxyOptions {
  /** Bytes of each body kept for the event. Default 64 KiB. */
  readonly bodyCaptureLimit?: number;
  /**
   * Which core forwards plain HTTP/1.1 exchanges: "raw" (default) or "node" (every
   * exchange through node:http, as the raw core's fallback does). For tests and comparisons.
   */
  readonly core?: "raw" | "node";
}

/** Headers that describe one hop's connection, not the message; never forwarded as-is. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade"]);

/** Starts an HTTP proxy; resolves once it listens. */
export async function startHttpProxy(options: HttpProxyOptions): Promise<RunningProxy> {
  const forwarder = createHttpForwarder(options);
  forwarder.server.on("connection", (socket: Socket) => forwarder.adopt(socket));
  const port = await listen(forwarder.server, options.listenHost ?? "127.0.0.1", options.listenPort);
  const close = closeOnce(async () => {
    const closed = serverClosed(forwarder.server);
    forwarder.destroy();
    await closed;
  }, options.signal);
  return { port, close };
}

/** HTTP/1.1 forwarding without a listener of its own (the gRPC proxy hands it HTTP/1.1 connections). */
export interface HttpForwarder {
  /** An unbound server; emit "connection" on it to serve a socket. */
  readonly server: NetServer;
  /** Tracks a socket so destroy() reaches it. */
  adopt(socket: Socket): void;
  /** Destroys every connection, upstream ones included. */
  destroy(): void;
}

/** Creates the HTTP forwarding logic of the proxy, for `startHttpProxy` or another listener. */
export function createHttpForwarder(options: HttpProxyOptions): HttpForwarder {
  const sockets = new SocketSet();
  // noDelay is a net.connect option the agent passes through to its sockets.
  const agent = new Agent({ keepAlive: true, maxFreeSockets: 64, noDelay: true } as AgentOptions);
  const exchange: ExchangeContext = {
    options,
    agent,
    sockets,
    limit: options.bodyCaptureLimit ?? BODY_CAPTURE_LIMIT,
    emit: safeSink(options.onEvent),
  };
  // A proxy imposes no timeouts of its own: a slow upload or long poll is the test's business.
  const httpServer = createServer({ requestTimeout: 0, noDelay: true, keepAlive: true });
  httpServer.on("request", (req, res) => forwardRequest(exchange, req, res));
  httpServer.on("upgrade", (req, socket, head) => forwardUpgrade(exchange, req, socket, head));
  httpServer.on("clientError", (_err, socket) => socket.destroy());
  const toNodeHttp = (socket: Socket): void => {
    httpServer.emit("connection", socket);
    socket.resume();
  };

  const pool = new UpstreamPool(options.target);
  const raw = { pool, target: options.target, edge: options.edge, limit: exchange.limit, emit: exchange.emit, fallback: toNodeHttp };
  const useRaw = (options.core ?? "raw") === "raw";
  const server = createNetServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (useRaw) serveRawHttp(raw, socket);
    else toNodeHttp(socket);
  });
  return {
    server,
    adopt: (socket) => sockets.add(socket),
    destroy() {
      httpServer.closeAllConnections();
      sockets.destroyAll();
      pool.destroy();
      agent.destroy();
    },
  };
}

interface ExchangeContext {
  readonly options: HttpProxyOptions;
  readonly agent: Agent;
  readonly sockets: SocketSet;
  readonly limit: number;
  readonly emit: (event: ProxyEvent) => void;
}

/** What one exchange has seen so far; turned into the event when it ends. */
interface ExchangeRecord {
  readonly req: IncomingMessage;
  readonly started: number;
  readonly requestBody: BodyCapture;
  readonly responseBody: BodyCapture;
  status: number;
  /** The target's response headers, `rawHeaders` style. */
  responseHeaders: readonly string[];
}

function newRecord(ctx: ExchangeContext, req: IncomingMessage): ExchangeRecord {
  return {
    req,
    started: performance.now(),
    requestBody: new BodyCapture(ctx.limit),
    responseBody: new BodyCapture(ctx.limit),
    status: 0,
    responseHeaders: [],
  };
}

function emitRecord(ctx: ExchangeContext, record: ExchangeRecord, error: string): void {
  const { req } = record;
  ctx.emit(
    requestCompletedEvent(ctx.options.edge, {
      method: req.method ?? "",
      path: req.url ?? "",
      status: record.status,
      started: record.started,
      requestHeaders: req.rawHeaders,
      responseHeaders: record.responseHeaders,
      requestBody: record.requestBody,
      responseBody: record.responseBody,
      error,
    }),
  );
}

/** Raw headers without hop-by-hop ones (and those the Connection header names). */
function endToEndHeaders(raw: readonly string[], keepUpgrade = false): string[] {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === "connection") {
      for (const token of (raw[i + 1] as string).split(",")) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const hop = HOP_BY_HOP.has(name) || named.has(name);
    if (hop && !(keepUpgrade && (name === "connection" || name === "upgrade"))) continue;
    out.push(raw[i] as string, raw[i + 1] as string);
  }
  return out;
}

function forwardRequest(ctx: ExchangeContext, req: IncomingMessage, res: ServerResponse): void {
  const record = newRecord(ctx, req);
  const { target } = ctx.options;
  let finished = false;
  const finish = (error: string): void => {
    if (finished) return;
    finished = true;
    emitRecord(ctx, record, error);
  };

  const upstream = request({
    host: target.host,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: endToEndHeaders(req.rawHeaders),
    agent: ctx.agent,
  });
  if (hasBody(req)) {
    stream(req, upstream, record.requestBody);
    req.on("end", () => upstream.end());
  } else {
    // Most requests (GET, HEAD, ...) have no body: send the head at once.
    req.resume();
    upstream.end();
  }

  upstream.on("response", (upRes) => {
    record.status = upRes.statusCode ?? 0;
    record.responseHeaders = upRes.rawHeaders;
    res.writeHead(record.status, upRes.statusMessage, endToEndHeaders(upRes.rawHeaders));
    // The head leaves with the first body chunk, in one write. A response whose body
    // is not there yet (SSE, long poll, slow target) gets its head on its own at once.
    setImmediate(() => {
      if (!res.headersSent && !res.destroyed) res.flushHeaders();
    });
    stream(upRes, res, record.responseBody);
    upRes.on("end", () => {
      if (upRes.rawTrailers.length > 0) res.addTrailers(pairs(upRes.rawTrailers));
      res.end();
    });
    upRes.on("close", () => {
      if (!upRes.complete) {
        finish("target closed the connection before the response completed");
        res.destroy();
      }
    });
  });
  upstream.on("error", (err) => {
    if (finished) return;
    if (!res.headersSent) {
      record.status = 502;
      const body = `rig proxy: cannot reach ${target.host}:${target.port}: ${err.message}\n`;
      res.writeHead(502, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
      res.end(body);
    } else {
      res.destroy();
    }
    finish(`target: ${err.message}`);
  });
  res.on("finish", () => finish(""));
  res.on("close", () => {
    if (res.writableFinished) return;
    upstream.destroy();
    finish("source closed the connection before the response completed");
  });
}

/** Whether a request carries a body (RFC 9112 §6.3: Content-Length or Transfer-Encoding). */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Copies a body chunk by chunk as it arrives, capturing on the side, with backpressure:
 * a full destination pauses the source until it drains. (Lighter than pipe(), which
 * wires five listeners per message; ending is left to the caller.)
 */
function stream(from: IncomingMessage, to: Writable, capture: BodyCapture): void {
  from.on("data", (chunk: Buffer) => {
    capture.push(chunk);
    if (!to.write(chunk)) {
      from.pause();
      to.once("drain", () => from.resume());
    }
  });
}

function pairs(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i] as string, raw[i + 1] as string]);
  return out;
}

/** Serializes a response head for writing onto a raw socket. */
function responseHead(status: number, message: string, raw: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i + 1 < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/**
 * An upgrade (websocket, h2c, ...): the handshake goes to the target on its own
 * connection; on 101 both sockets are spliced together and bytes flow untouched.
 * The event is published at the handshake: status 101 and the handshake headers.
 */
function forwardUpgrade(ctx: ExchangeContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const record = newRecord(ctx, req);
  const { target } = ctx.options;
  ctx.sockets.add(socket);
  const upstream = request({
    host: target.host,
    port: target.port,
    method: req.method,
    path: req.url,
    headers: endToEndHeaders(req.rawHeaders, true),
    agent: false,
  });
  let finished = false;
  const finish = (error: string): void => {
    if (finished) return;
    finished = true;
    emitRecord(ctx, record, error);
  };
  socket.on("error", () => upstream.destroy());
  socket.on("close", () => {
    upstream.destroy();
    finish("source closed the connection during the upgrade");
  });

  upstream.on("upgrade", (upRes, upSocket, upHead) => {
    ctx.sockets.add(upSocket);
    record.status = upRes.statusCode ?? 0;
    record.responseHeaders = upRes.rawHeaders;
    socket.write(responseHead(record.status, upRes.statusMessage ?? "", upRes.rawHeaders));
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
    upSocket.on("error", () => socket.destroy());
    upSocket.on("close", () => socket.destroy());
    socket.on("close", () => upSocket.destroy());
    finish("");
  });
  upstream.on("response", (upRes) => {
    // The target declined the upgrade: relay its answer, delimited by closing the connection.
    record.status = upRes.statusCode ?? 0;
    record.responseHeaders = upRes.rawHeaders;
    const headers = endToEndHeaders(upRes.rawHeaders).filter((_, i, all) => {
      const name = (i % 2 === 0 ? all[i] : all[i - 1]) as string;
      return !/^(transfer-encoding|content-length)$/i.test(name);
    });
    socket.write(responseHead(record.status, upRes.statusMessage ?? "", [...headers, "connection", "close"]));
    upRes.on("data", (chunk: Buffer) => record.responseBody.push(chunk));
    upRes.pipe(socket);
    upRes.on("end", () => finish(""));
  });
  upstream.on("error", (err) => {
    if (finished) return;
    record.status = 502;
    socket.end(responseHead(502, "Bad Gateway", ["content-length", "0", "connection", "close"]));
    finish(`target: ${err.message}`);
  });
  upstream.end();
}
