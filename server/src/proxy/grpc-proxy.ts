/**
 * The gRPC proxy: HTTP/2 cleartext forwarded byte for byte, one target connection per
 * client connection, read on the side by a CallTap (frames, HPACK, length-prefixed
 * messages) that reports each call when it ends; the call's messages are then decoded
 * with the target's reflection descriptors into one `grpc.call.completed`. Nothing is
 * re-encoded, so stream ids, flow control, cancels and trailers pass exactly as sent,
 * and a call costs the proxy a read of its frames instead of two HTTP/2 stacks.
 * HTTP/1.1 connections to the same port (gRPC-Web, Connect JSON) go through the HTTP
 * logic; a client whose target cannot be reached is answered by a node:http2 server
 * with UNAVAILABLE.
 */
import { createServer, type Http2Session, type ServerHttp2Session, type ServerHttp2Stream } from "node:http2";
import { connect, createServer as createNetServer, type Socket } from "node:net";
import { decodeMessages, type MethodDescriptors } from "./grpc-decode.js";
import type { CaptureLimits, GrpcMessageParser } from "./grpc-message-parser.js";
import { grpcCallCompletedEvent } from "./grpc-call-event.js";
import { CallTap, headerValue, Status, tappedCall, type TappedCall } from "./h2/call-tap.js";
import { createHttpForwarder } from "./http-proxy.js";
import { closeOnce, listen, serverClosed } from "./listen.js";
import { routeByPreface } from "../net/preface-router.js";
import { type ProxyEvent, type ProxyOptions, type RunningProxy, safeSink } from "./proxy-contract.js";
import { SocketSet } from "./socket-set.js";

/** Options of the gRPC proxy. */
export interface GrpcProxyOptions extends ProxyOptions {
  /**
   * Message types of a method path (`/pkg.Service/Method`). Called when a call starts and
   * awaited when it ends, so a first reflection probe overlaps the call. Absent: no decoding.
   */
  readonly describe?: (path: string) => Promise<MethodDescriptors>;
  /** The message types of a method path `describe` already resolved, if any: no wait, no promise. */
  readonly known?: (path: string) => MethodDescriptors | undefined;
  /**
   * Which messages are kept for decoding. Default: per direction, the first 100 while they
   * come to 64 KiB in all (one message up to 64 KiB), as an HTTP body is kept to 64 KiB.
   */
  readonly capture?: Partial<CaptureLimits>;
}

/** Starts a gRPC proxy; resolves once it listens. */
export async function startGrpcProxy(options: GrpcProxyOptions): Promise<RunningProxy> {
  const ctx: ProxyContext = {
    options,
    limits: {
      maxMessages: options.capture?.maxMessages ?? 100,
      maxMessageBytes: options.capture?.maxMessageBytes ?? 64 * 1024,
      maxTotalBytes: options.capture?.maxTotalBytes ?? 64 * 1024,
    },
    emit: safeSink(options.onEvent),
    sockets: new SocketSet(),
  };
  let closing = false;
  const unreachable = createUnreachableAnswerer(ctx);
  // gRPC-Web and Connect clients may speak HTTP/1.1 to a gRPC port: forward those as HTTP.
  const http1 = createHttpForwarder(options);

  const server = createNetServer({ noDelay: true }, (socket) => {
    ctx.sockets.add(socket);
    if (closing) return void socket.destroy();
    routeByPreface(socket, (isHttp2) => {
      if (!isHttp2) http1.server.emit("connection", socket);
      else forwardConnection(ctx, socket, unreachable);
    });
  });

  const port = await listen(server, options.listenHost ?? "127.0.0.1", options.listenPort);
  const close = closeOnce(async () => {
    closing = true;
    const closed = serverClosed(server);
    unreachable.destroy();
    http1.destroy();
    ctx.sockets.destroyAll();
    await closed;
  }, options.signal);
  return { port, close };
}

interface ProxyContext {
  readonly options: GrpcProxyOptions;
  readonly limits: CaptureLimits;
  readonly emit: (event: ProxyEvent) => void;
  readonly sockets: SocketSet;
}

/**
 * Connects to the target for one client connection, then pumps bytes both ways through
 * the tap. The client's bytes wait unread until the target answers; when it does not,
 * the client is handed to the UNAVAILABLE answerer.
 */
function forwardConnection(ctx: ProxyContext, downstream: Socket, unreachable: UnreachableAnswerer): void {
  const { target } = ctx.options;
  const upstream = connect({ host: target.host, port: target.port, noDelay: true });
  ctx.sockets.add(upstream);
  const onConnectError = (err: Error): void => {
    downstream.off("close", onEarlyClose);
    unreachable.answer(downstream, `rig proxy: cannot reach target: ${err.message}`);
  };
  const onEarlyClose = (): void => void upstream.destroy();
  // The router let go of the socket's errors: a client failing at any point takes the target connection down.
  downstream.on("error", () => upstream.destroy());
  upstream.once("error", onConnectError);
  downstream.once("close", onEarlyClose);
  upstream.once("connect", () => {
    upstream.off("error", onConnectError);
    downstream.off("close", onEarlyClose);
    relay(ctx, downstream, upstream);
  });
}

/** Pumps both directions with backpressure, each chunk read by the tap as soon as it is written on. */
function relay(ctx: ProxyContext, downstream: Socket, upstream: Socket): void {
  const tap = new CallTap<MethodDescriptors | Promise<MethodDescriptors> | undefined>(ctx.limits, {
    started: (call) => (call.isGrpc ? (ctx.options.known?.(call.path) ?? ctx.options.describe?.(call.path).catch(unknownFailure)) : undefined),
    completed: (call, descriptors, status, message) => {
      if (descriptors instanceof Promise) void descriptors.then((types) => publish(ctx, call, status, message, types));
      else publish(ctx, call, status, message, descriptors);
    },
  });
  // The target's end (or failure) cuts off its open calls; listened for before the pump
  // passes the end on, so the tap hears it before the source can react to it.
  upstream.once("end", () => tap.targetClosed());
  upstream.on("error", (err) => {
    tap.targetClosed(err.message);
    downstream.destroy();
  });
  pump(downstream, upstream, (chunk) => tap.fromSource(chunk));
  pump(upstream, downstream, (chunk) => tap.fromTarget(chunk));
  // A side that closed takes the other with it, once what it sent has been written on.
  upstream.once("close", () => {
    tap.targetClosed();
    downstream.destroySoon();
  });
  downstream.once("close", () => {
    tap.sourceClosed();
    upstream.destroySoon();
  });
}

/**
 * Copies `from` to `to`, pausing `from` while `to` pushes back; `read` sees every chunk
 * right after it is passed on (the tap never changes a byte), so reading and recording a
 * call add nothing to its latency. The peer's answer to a chunk can only arrive in a
 * later turn, after `read` has seen it.
 */
function pump(from: Socket, to: Socket, read: (chunk: Buffer) => void): void {
  const resume = (): void => void from.resume();
  from.on("data", (chunk: Buffer) => {
    const flowing = to.write(chunk);
    read(chunk);
    if (!flowing) {
      from.pause();
      to.once("drain", resume);
    }
  });
  from.on("end", () => to.end());
}

/** Answers every call of a client whose target cannot be reached. */
interface UnreachableAnswerer {
  answer(socket: Socket, reason: string): void;
  destroy(): void;
}

/**
 * A node:http2 server that answers each stream with a trailers-only UNAVAILABLE and then
 * closes the connection gracefully (GOAWAY), so the client's next call opens a new
 * connection and finds the target if it came back.
 */
function createUnreachableAnswerer(ctx: ProxyContext): UnreachableAnswerer {
  const reasons = new WeakMap<Http2Session, string>();
  const sessions = new Set<ServerHttp2Session>();
  // The server creates a connection's session synchronously inside emit("connection").
  let reasonOfNextSession = "";
  const h2 = createServer();
  h2.on("session", (session) => {
    reasons.set(session, reasonOfNextSession);
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
    session.on("error", () => {
      // the client went away
    });
  });
  h2.on("stream", (stream, headers) => {
    const session = stream.session;
    const reason = (session && reasons.get(session)) || "rig proxy: cannot reach target";
    respondWithStatus(stream, Status.UNAVAILABLE, reason);
    session?.close();
    const call = tappedCall(0, headers, ctx.limits);
    publish(ctx, call, Status.UNAVAILABLE, reason, { ok: false, reason: "target not reachable" });
  });
  return {
    answer(socket, reason) {
      reasonOfNextSession = reason;
      h2.emit("connection", socket);
      reasonOfNextSession = "";
    },
    destroy() {
      for (const session of sessions) session.destroy();
    },
  };
}

/** Answers a call the proxy cannot forward with a trailers-only gRPC status. */
function respondWithStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": String(code),
      "grpc-message": encodeGrpcMessage(message),
    },
    { endStream: true },
  );
}

/**
 * grpc-message percent-encoding (gRPC over HTTP/2 spec): UTF-8 bytes outside printable
 * ASCII, and `%` itself, become %XX; everything else stays as it is. (encodeURIComponent
 * would also encode `:` and `/`, which clients do not decode.)
 */
function encodeGrpcMessage(message: string): string {
  let out = "";
  for (const byte of Buffer.from(message, "utf8")) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

function unknownFailure(err: unknown): MethodDescriptors {
  return { ok: false, reason: err instanceof Error ? err.message : String(err) };
}

/** Why some of a direction's messages are not in the event. */
function notDecoded(parser: GrpcMessageParser, direction: "request" | "response"): string {
  const { maxMessageBytes, maxTotalBytes, maxMessages } = parser.limits;
  return `${parser.skipped} ${direction} message(s) not decoded (over ${maxMessageBytes} bytes, past ${maxTotalBytes} bytes kept in all, or after the first ${maxMessages})`;
}

/** Publishes one call's event, decoded with its method's descriptors (undefined: no descriptors). */
function publish(ctx: ProxyContext, call: TappedCall, status: number, message: string, types: MethodDescriptors | undefined): void {
  const event = grpcCallCompletedEvent(ctx.options.edge, {
    path: call.path,
    started: call.started,
    status,
    message,
    requestHeaders: call.requestHeaders,
    responseHeaders: call.responseHeaders,
    trailers: call.trailers,
    requestMessages: call.requests.count,
    responseMessages: call.responses.count,
    requestBytes: call.requests.bytes,
    responseBytes: call.responses.bytes,
  });

  const problems: string[] = [];
  if (!call.isGrpc) {
    problems.push(`not a gRPC call (content-type "${String(call.requestHeaders["content-type"] ?? "")}")`);
  } else if (!types) {
    problems.push("no descriptors for this target");
  } else {
    if (!types.ok) {
      problems.push(types.reason);
    } else {
      const req = decodeMessages(
        call.requests.messages,
        types.input,
        types.registry,
        headerValue(call.requestHeaders, "grpc-encoding"),
        "request",
      );
      const res = decodeMessages(
        call.responses.messages,
        types.output,
        types.registry,
        headerValue(call.responseHeaders, "grpc-encoding"),
        "response",
      );
      event.requestJson = req.json;
      event.responseJson = res.json;
      problems.push(...req.errors, ...res.errors);
      if (call.requests.skipped > 0) problems.push(notDecoded(call.requests, "request"));
      if (call.responses.skipped > 0) problems.push(notDecoded(call.responses, "response"));
    }
  }
  event.decodeError = problems.join("; ");
  ctx.emit({ case: "grpcCallCompleted", value: event });
}
