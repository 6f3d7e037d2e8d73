/**
 * The gRPC proxy: HTTP/2 cleartext on both sides (HTTP/1.1 connections to the same port,
 * e.g. gRPC-Web or Connect JSON, go through the HTTP proxy logic instead). Each call is forwarded as it happens
 * (headers, then every DATA chunk as it arrives, then trailers, or a trailers-only
 * response as such), with flow control passed through by pausing the sending side. The
 * length-prefixed messages of both directions are parsed on the side as they pass; when
 * the call ends, they are decoded with the target's reflection descriptors and one
 * `grpc.call.completed` is published.
 */
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  constants,
  createServer,
  type IncomingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
  type Settings,
  sensitiveHeaders,
} from "node:http2";
import { createServer as createNetServer } from "node:net";
import { decodeMessages, type MethodDescriptors } from "./grpc-decode.js";
import { type CaptureLimits, GrpcMessageParser } from "./grpc-message-parser.js";
import { grpcCallCompletedEvent, type CallHead } from "./grpc-call-event.js";
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
  /** Which messages are kept for decoding. Default: the first 100 per direction, up to 64 KiB each. */
  readonly capture?: Partial<CaptureLimits>;
}

/** gRPC status codes the proxy itself produces. */
const Status = { CANCELLED: 1, UNKNOWN: 2, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/**
 * Flow-control windows. Node's defaults (64 KiB per stream and per connection) cap a
 * stream at one window per round trip; larger windows let a proxied stream run as fast
 * as a direct one while backpressure still reaches the sender.
 */
const STREAM_WINDOW = 1024 * 1024;
const CONNECTION_WINDOW = 16 * 1024 * 1024;
const SETTINGS: Settings = { initialWindowSize: STREAM_WINDOW };

/** Starts a gRPC proxy; resolves once it listens. */
export async function startGrpcProxy(options: GrpcProxyOptions): Promise<RunningProxy> {
  const { target } = options;
  const limits: CaptureLimits = {
    maxMessages: options.capture?.maxMessages ?? 100,
    maxMessageBytes: options.capture?.maxMessageBytes ?? 64 * 1024,
  };
  const emit = safeSink(options.onEvent);
  const sessions = new Set<ServerHttp2Session | ClientHttp2Session>();
  let upstream: ClientHttp2Session | undefined;
  let closing = false;

  /** The shared connection to the target, reopened when it went away. */
  const upstreamSession = (): ClientHttp2Session => {
    if (upstream && !upstream.closed && !upstream.destroyed) return upstream;
    const session = connect(`http://${target.host}:${target.port}`, { settings: SETTINGS });
    track(sessions, session);
    session.on("error", () => {
      // surfaces on each stream of the session
    });
    session.on("connect", () => session.setLocalWindowSize(CONNECTION_WINDOW));
    const forget = (): void => {
      if (upstream === session) upstream = undefined;
    };
    session.on("goaway", forget);
    session.on("close", forget);
    upstream = session;
    return session;
  };

  const h2 = createServer({ settings: SETTINGS });
  h2.on("session", (session) => {
    track(sessions, session);
    session.on("error", () => {
      // a client that went away; its streams are closed with it
    });
    session.setLocalWindowSize(CONNECTION_WINDOW);
  });
  h2.on("stream", (stream, headers) => {
    if (closing) return void stream.close(constants.NGHTTP2_REFUSED_STREAM);
    forwardCall({ options, limits, emit, upstreamSession }, stream, headers);
  });
  // gRPC-Web and Connect clients may speak HTTP/1.1 to a gRPC port: forward those as HTTP.
  const http1 = createHttpForwarder(options);

  const sockets = new SocketSet();
  const server = createNetServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    if (closing) return void socket.destroy();
    routeByPreface(socket, (isHttp2) => {
      if (isHttp2) h2.emit("connection", socket);
      else http1.server.emit("connection", socket);
    });
  });

  const port = await listen(server, options.listenHost ?? "127.0.0.1", options.listenPort);
  const close = closeOnce(async () => {
    closing = true;
    const closed = serverClosed(server);
    for (const session of sessions) session.destroy();
    http1.destroy();
    sockets.destroyAll();
    await closed;
  }, options.signal);
  return { port, close };
}

function track(sessions: Set<ServerHttp2Session | ClientHttp2Session>, session: ServerHttp2Session | ClientHttp2Session): void {
  sessions.add(session);
  session.once("close", () => sessions.delete(session));
}

interface CallContext {
  readonly options: GrpcProxyOptions;
  readonly limits: CaptureLimits;
  readonly emit: (event: ProxyEvent) => void;
  readonly upstreamSession: () => ClientHttp2Session;
}

/** Forwards one call (one HTTP/2 stream) and publishes its event when it ends. */
function forwardCall(ctx: CallContext, downstream: ServerHttp2Stream, headers: IncomingHttpHeaders): void {
  const started = performance.now();
  const path = String(headers[":path"] ?? "");
  const isGrpc = String(headers["content-type"] ?? "").startsWith("application/grpc");
  const requests = new GrpcMessageParser(ctx.limits);
  const responses = new GrpcMessageParser(ctx.limits);
  const descriptors = isGrpc ? ctx.options.describe?.(path).catch(unknownFailure) : undefined;

  let responseHeaders: IncomingHttpHeaders | undefined;
  let trailers: IncomingHttpHeaders | undefined;
  let trailersOnly = false;
  let targetError = "";
  let done = false;

  const complete = (status: number, message: string): void => {
    if (done) return;
    done = true;
    const call: FinishedCall = {
      path,
      started,
      status,
      message,
      requestHeaders: headers,
      responseHeaders,
      trailers,
      requests,
      responses,
    };
    void publish(ctx, call, isGrpc, descriptors);
  };
  /** Status from the target's trailers (or trailers-only headers), when it sent one. */
  const targetStatus = (): [number, string] | undefined => {
    const source = trailers ?? (trailersOnly ? responseHeaders : undefined);
    const code = source?.["grpc-status"];
    if (code === undefined) return undefined;
    return [Number(code), decodeGrpcMessage(source?.["grpc-message"])];
  };

  let up: ClientHttp2Stream;
  try {
    up = ctx.upstreamSession().request(withoutHeader(headers, ":scheme"), { endStream: false });
  } catch (err) {
    const reason = `rig proxy: cannot reach target: ${err instanceof Error ? err.message : String(err)}`;
    respondWithStatus(downstream, Status.UNAVAILABLE, reason);
    complete(Status.UNAVAILABLE, reason);
    return;
  }

  // source -> target
  // Drain listeners are added only when a side actually pushes back (rare for unary calls).
  let downstreamPaused = false;
  const resumeDownstream = (): void => {
    downstreamPaused = false;
    downstream.resume();
  };
  downstream.on("data", (chunk: Buffer) => {
    if (isGrpc) requests.push(chunk);
    if (!up.write(chunk) && !downstreamPaused) {
      downstreamPaused = true;
      downstream.pause();
      up.once("drain", resumeDownstream);
    }
  });
  downstream.on("end", () => up.end());

  // target -> source
  up.on("response", (h, flags) => {
    responseHeaders = h;
    if (downstream.destroyed) return;
    trailersOnly = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    downstream.respond(h, trailersOnly ? { endStream: true } : { waitForTrailers: true });
  });
  let upPaused = false;
  const resumeUp = (): void => {
    upPaused = false;
    up.resume();
  };
  up.on("data", (chunk: Buffer) => {
    if (isGrpc) responses.push(chunk);
    if (downstream.destroyed) return;
    if (!downstream.write(chunk) && !upPaused) {
      upPaused = true;
      up.pause();
      downstream.once("drain", resumeUp);
    }
  });
  up.on("trailers", (t) => (trailers = t));
  let upEnded = false;
  up.on("end", () => {
    upEnded = true;
    if (!trailersOnly && !downstream.destroyed) downstream.end();
  });
  downstream.on("wantTrailers", () => {
    downstream.sendTrailers(trailers ? withoutHeader(trailers, ":status") : {});
  });

  up.on("error", (err) => (targetError ||= err.message));
  up.on("close", () => {
    const status = targetStatus();
    if (status) return complete(...status);
    if (upEnded && up.rstCode === constants.NGHTTP2_NO_ERROR) {
      // A complete answer without grpc-status: plain HTTP/2, or a broken gRPC server.
      const httpStatus = String(responseHeaders?.[":status"] ?? "");
      return isGrpc
        ? complete(Status.UNKNOWN, `target answered HTTP ${httpStatus} without grpc-status`)
        : complete(0, `HTTP ${httpStatus}`);
    }
    // The target reset the stream or went away without a status.
    const reason = targetError
      ? `rig proxy: target failed: ${targetError}`
      : `rig proxy: target reset the stream (HTTP/2 error ${up.rstCode})`;
    if (!downstream.headersSent) respondWithStatus(downstream, Status.UNAVAILABLE, reason);
    else if (!downstream.destroyed) downstream.close(up.rstCode || constants.NGHTTP2_INTERNAL_ERROR);
    complete(downstream.headersSent && responseHeaders ? Status.INTERNAL : Status.UNAVAILABLE, reason);
  });

  downstream.on("error", () => {
    // the source went away; handled on close
  });
  downstream.on("close", () => {
    const status = targetStatus();
    if (status) return complete(...status);
    // The target finished: its stream's close completes the call.
    if (upEnded) return;
    if (!up.closed) up.close(constants.NGHTTP2_CANCEL);
    complete(Status.CANCELLED, "cancelled by the source");
  });
}

/**
 * A copy of `headers` without `name` (a plain loop: rest spreads cost more on these
 * null-prototype objects), keeping which headers the sender marked never-indexed.
 */
function withoutHeader(headers: IncomingHttpHeaders, name: string): IncomingHttpHeaders {
  const out: IncomingHttpHeaders & { [sensitiveHeaders]?: unknown } = {};
  for (const key in headers) if (key !== name) out[key] = headers[key];
  const sensitive = (headers as { [sensitiveHeaders]?: unknown })[sensitiveHeaders];
  if (sensitive !== undefined) out[sensitiveHeaders] = sensitive;
  return out;
}

/** Answers a call the proxy cannot forward with a trailers-only gRPC status. */
function respondWithStatus(stream: ServerHttp2Stream, code: number, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    {
      ":status": 200,
      "content-type": "application/grpc",
      "grpc-status": String(code),
      "grpc-message": encodeURIComponent(message),
    },
    { endStream: true },
  );
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function decodeGrpcMessage(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value.join(",") : (value ?? "");
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function unknownFailure(err: unknown): MethodDescriptors {
  return { ok: false, reason: err instanceof Error ? err.message : String(err) };
}

interface FinishedCall extends CallHead {
  readonly requests: GrpcMessageParser;
  readonly responses: GrpcMessageParser;
}

async function publish(
  ctx: CallContext,
  call: FinishedCall,
  isGrpc: boolean,
  descriptors: Promise<MethodDescriptors> | undefined,
): Promise<void> {
  const event = grpcCallCompletedEvent(ctx.options.edge, {
    ...call,
    requestMessages: call.requests.count,
    responseMessages: call.responses.count,
    requestBytes: call.requests.bytes,
    responseBytes: call.responses.bytes,
  });

  const problems: string[] = [];
  if (!isGrpc) {
    problems.push(`not a gRPC call (content-type "${String(call.requestHeaders["content-type"] ?? "")}")`);
  } else if (!descriptors) {
    problems.push("no descriptors for this target");
  } else {
    const types = await descriptors;
    if (!types.ok) {
      problems.push(types.reason);
    } else {
      const req = decodeMessages(
        call.requests.messages,
        types.input,
        types.registry,
        header(call.requestHeaders, "grpc-encoding"),
        "request",
      );
      const res = decodeMessages(
        call.responses.messages,
        types.output,
        types.registry,
        header(call.responseHeaders, "grpc-encoding"),
        "response",
      );
      event.requestJson = req.json;
      event.responseJson = res.json;
      problems.push(...req.errors, ...res.errors);
      for (const [parser, direction] of [
        [call.requests, "request"],
        [call.responses, "response"],
      ] as const) {
        if (parser.skipped > 0) {
          problems.push(
            `${parser.skipped} ${direction} message(s) not decoded (over ${parser.limits.maxMessageBytes} bytes or after the first ${parser.limits.maxMessages})`,
          );
        }
      }
    }
  }
  event.decodeError = problems.join("; ");
  ctx.emit({ case: "grpcCallCompleted", value: event });
}

function header(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}
