/**
 * Follows the calls of one HTTP/2 connection that a proxy forwards byte for byte: both
 * directions are read as they pass (frames, HPACK header blocks, gRPC messages) and each
 * stream is reported when it starts and when it ends, with its headers, trailers, status
 * and messages. Nothing is rewritten, so stream ids, flow control, SETTINGS and PINGs
 * stay end to end between the two peers.
 *
 * A call ends with the target's END_STREAM (status from grpc-status in the trailers, or
 * in the headers of a trailers-only answer), a RST_STREAM from either side, or the
 * connection closing. Streams the target refuses with GOAWAY are not reported: the
 * client retries them on another connection.
 */
import type { IncomingHttpHeaders } from "node:http2";
import { type CaptureLimits, GrpcMessageParser } from "../grpc-message-parser.js";
import { InFlight } from "../in-flight.js";
import { FrameError, FrameFlag, type FrameHandler, FrameReader, FrameType } from "./frame-reader.js";
import { type HeaderField, HpackDecoder } from "./hpack-decoder.js";

/** One call (HTTP/2 stream) as the tap saw it. */
export interface TappedCall {
  readonly streamId: number;
  readonly path: string;
  /** performance.now() when its request headers passed. */
  readonly started: number;
  /** content-type is application/grpc*. */
  readonly isGrpc: boolean;
  readonly requestHeaders: IncomingHttpHeaders;
  responseHeaders: IncomingHttpHeaders | undefined;
  trailers: IncomingHttpHeaders | undefined;
  readonly requests: GrpcMessageParser;
  readonly responses: GrpcMessageParser;
}

/** What a tap reports; `C` is whatever the owner keeps per call (e.g. a descriptor lookup). */
export interface CallTapHooks<C> {
  /** A call's request headers passed. */
  started(call: TappedCall): C;
  /** A call ended with a gRPC status (for plain HTTP/2: 0 and `HTTP <status>`). */
  completed(call: TappedCall, context: C, status: number, message: string): void;
}

/** gRPC status codes the tap reports for calls the target did not finish. */
export const Status = { CANCELLED: 1, UNKNOWN: 2, INTERNAL: 13, UNAVAILABLE: 14 } as const;

/** A header block being read across HEADERS/PUSH_PROMISE and CONTINUATION frames. */
interface PendingBlock {
  readonly type: number;
  readonly streamId: number;
  readonly flags: number;
  readonly fragments: Buffer[];
}

/** A whole header block with the type, flags and stream of the frame that opened it. */
interface HeaderBlock {
  readonly type: number;
  readonly streamId: number;
  readonly flags: number;
  readonly fields: HeaderField[];
}

/** One direction's reader state. */
class Direction {
  readonly decoder = new HpackDecoder();
  pending: PendingBlock | undefined;
  readonly reader: FrameReader;

  constructor(handler: FrameHandler, preface: boolean) {
    this.reader = new FrameReader(handler, { preface });
  }
}

interface OpenCall<C> {
  readonly call: TappedCall;
  readonly context: C;
}

/** Follows the calls of one connection; feed it both directions' bytes in order. */
export class CallTap<C> {
  readonly #calls = new InFlight<OpenCall<C>>();
  readonly #source: Direction;
  readonly #target: Direction;
  /** The highest stream id the source opened so far. */
  #lastSourceStream = 0;
  /** Set once the tap stopped following the connection (closed, or bytes it could not read). */
  #over = false;

  constructor(
    private readonly limits: CaptureLimits,
    private readonly hooks: CallTapHooks<C>,
  ) {
    this.#source = new Direction(
      {
        data: (id, piece) => this.#calls.get(id)?.call.requests.push(piece),
        dataEndStream: () => {
          // the request half-closed; the call ends with the target
        },
        frame: (type, flags, id, payload) => this.#sourceFrame(type, flags, id, payload),
      },
      true,
    );
    this.#target = new Direction(
      {
        data: (id, piece) => this.#calls.get(id)?.call.responses.push(piece),
        dataEndStream: (id) => this.#targetEnded(id),
        frame: (type, flags, id, payload) => this.#targetFrame(type, flags, id, payload),
      },
      false,
    );
  }

  /** Calls started and not yet ended. */
  get openCalls(): number {
    return this.#calls.size;
  }

  /** Bytes the source sent, in order. */
  fromSource(chunk: Buffer): void {
    this.#read(this.#source, chunk);
  }

  /** Bytes the target sent, in order. */
  fromTarget(chunk: Buffer): void {
    this.#read(this.#target, chunk);
  }

  /** The source's side of the connection closed: its open calls were cancelled. */
  sourceClosed(): void {
    this.#finish(Status.CANCELLED, "cancelled by the source: connection closed");
  }

  /** The target's side of the connection closed: open calls never got their answer. */
  targetClosed(error?: string): void {
    this.#finish(Status.UNAVAILABLE, `rig proxy: target closed the connection${error ? `: ${error}` : ""}`);
  }

  #read(direction: Direction, chunk: Buffer): void {
    if (this.#over) return;
    try {
      direction.reader.push(chunk);
    } catch (err) {
      // Bad framing or HPACK (FrameError, HpackError), or anything else that went wrong
      // while reading: the bytes still flow, only the recording stops for this
      // connection. Observation must never break the traffic it observes.
      const reason = err instanceof Error ? err.message : String(err);
      this.#finish(Status.UNKNOWN, `rig proxy lost track of this connection: ${reason}`);
    }
  }

  /** Ends every open call with one status and stops following the connection. */
  #finish(status: number, message: string): void {
    if (this.#over) return;
    this.#over = true;
    for (const id of this.#calls.ids()) this.#complete(id, status, message);
  }

  #sourceFrame(type: number, flags: number, id: number, payload: Buffer): void {
    const block = this.#headerBlock(this.#source, type, flags, id, payload);
    if (block) {
      // Request headers open a call (new streams have ever higher ids, RFC 9113 §5.1.1);
      // request trailers, also on a call that already ended, are decoded only to keep the table in step.
      if (block.type === FrameType.HEADERS && block.streamId > this.#lastSourceStream) {
        this.#lastSourceStream = block.streamId;
        this.#start(block.streamId, block.fields);
      }
      return;
    }
    if (type === FrameType.RST_STREAM) this.#complete(id, Status.CANCELLED, "cancelled by the source");
  }

  #targetFrame(type: number, flags: number, id: number, payload: Buffer): void {
    const block = this.#headerBlock(this.#target, type, flags, id, payload);
    if (block) return this.#targetHeaders(block);
    if (type === FrameType.RST_STREAM) {
      const code = payload.length >= 4 ? payload.readUInt32BE(0) : 0;
      const call = this.#calls.get(id)?.call;
      const status = call?.responseHeaders ? Status.INTERNAL : Status.UNAVAILABLE;
      this.#complete(id, status, `rig proxy: target reset the stream (HTTP/2 error ${code})`);
    } else if (type === FrameType.GOAWAY && payload.length >= 4) {
      // Streams above the last one the target processed never reached it; the client retries them.
      const lastStreamId = payload.readUInt32BE(0) & 0x7fffffff;
      for (const streamId of this.#calls.ids()) if (streamId > lastStreamId) this.#calls.take(streamId);
    }
  }

  /** Response headers, or trailers once headers passed; END_STREAM on either ends the call. */
  #targetHeaders(block: HeaderBlock): void {
    const call = this.#calls.get(block.streamId)?.call;
    if (block.type !== FrameType.HEADERS || !call) return; // a push promise, or a stream already ended
    const headers = toHeaders(block.fields);
    if (call.responseHeaders === undefined) {
      if ((headerValue(headers, ":status") ?? "").startsWith("1")) return; // informational; the answer follows
      call.responseHeaders = headers;
    } else {
      call.trailers = headers;
    }
    if (block.flags & FrameFlag.END_STREAM) this.#targetEnded(block.streamId);
  }

  /**
   * Collects header block fragments; returns the decoded block once it is whole, under the
   * frame that opened it (whose flags carry END_STREAM); undefined for other frames and
   * for a block still waiting for CONTINUATION.
   */
  #headerBlock(direction: Direction, type: number, flags: number, id: number, payload: Buffer): HeaderBlock | undefined {
    if (type === FrameType.CONTINUATION) {
      const pending = direction.pending;
      if (!pending || pending.streamId !== id) throw new FrameError(`CONTINUATION on stream ${id} without a header block to continue`);
      // Copied: the frame's payload is a view of bytes that are forwarded once it returns.
      pending.fragments.push(Buffer.from(payload));
      if (!(flags & FrameFlag.END_HEADERS)) return undefined;
      direction.pending = undefined;
      return { ...pending, fields: direction.decoder.decode(Buffer.concat(pending.fragments)) };
    }
    if (type !== FrameType.HEADERS && type !== FrameType.PUSH_PROMISE) return undefined;
    if (direction.pending) throw new FrameError(`frame of type ${type} inside the header block of stream ${direction.pending.streamId}`);
    const fragment = headerFragment(type, flags, id, payload);
    if (!(flags & FrameFlag.END_HEADERS)) {
      direction.pending = { type, streamId: id, flags, fragments: [Buffer.from(fragment)] };
      return undefined;
    }
    return { type, streamId: id, flags, fields: direction.decoder.decode(fragment) };
  }

  #start(id: number, fields: HeaderField[]): void {
    const call = tappedCall(id, toHeaders(fields), this.limits);
    this.#calls.set(id, { call, context: this.hooks.started(call) });
  }

  /** The target ended the stream: the call's status is in what it sent. */
  #targetEnded(id: number): void {
    const call = this.#calls.get(id)?.call;
    if (!call) return;
    const [status, message] = statusOf(call);
    this.#complete(id, status, message);
  }

  #complete(id: number, status: number, message: string): void {
    const open = this.#calls.take(id);
    if (!open) return;
    this.hooks.completed(open.call, open.context, status, message);
  }
}

/** A call whose request headers just passed (stream id 0: a call seen outside a tap). */
export function tappedCall(streamId: number, requestHeaders: IncomingHttpHeaders, limits: CaptureLimits): TappedCall {
  return {
    streamId,
    path: headerValue(requestHeaders, ":path") ?? "",
    started: performance.now(),
    isGrpc: (headerValue(requestHeaders, "content-type") ?? "").startsWith("application/grpc"),
    requestHeaders,
    responseHeaders: undefined,
    trailers: undefined,
    requests: new GrpcMessageParser(limits),
    responses: new GrpcMessageParser(limits),
  };
}

/** The first value of a header (a repeated one is an array). */
export function headerValue(headers: IncomingHttpHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The header block fragment of a HEADERS or PUSH_PROMISE frame (padding, priority, promised id removed). */
function headerFragment(type: number, flags: number, id: number, payload: Buffer): Buffer {
  let start = 0;
  let end = payload.length;
  if (flags & FrameFlag.PADDED) {
    end -= payload[0] ?? 0;
    start = 1;
  }
  if (type === FrameType.HEADERS && flags & FrameFlag.PRIORITY) start += 5;
  if (type === FrameType.PUSH_PROMISE) start += 4;
  if (start > end) throw new FrameError(`header frame on stream ${id} is shorter than its padding and fields`);
  return payload.subarray(start, end);
}

/**
 * The prototype of every headers object: empty, and with no prototype of its own, so no
 * name a peer sends (`__proto__`, `constructor`, `toString`) finds anything but its own
 * header. Objects made from it stay in V8's fast mode, unlike `Object.create(null)`
 * ones (dictionaries): building one, reading it and listing it for the event costs half
 * as much, three times per call.
 */
const HEADERS_PROTOTYPE: object = Object.create(null);

/**
 * Decoded fields as Node's http2 headers object: lower-case names, pseudo-headers
 * included, a repeated name as an array (every value kept, for metadata).
 */
function toHeaders(fields: readonly HeaderField[]): IncomingHttpHeaders {
  const headers = Object.create(HEADERS_PROTOTYPE) as Record<string, string | string[]>;
  for (const [name, value] of fields) {
    const existing = headers[name];
    if (existing === undefined) headers[name] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else headers[name] = [existing, value];
  }
  return headers as IncomingHttpHeaders;
}

/** The status of a call the target ended: grpc-status from its trailers (or trailers-only headers). */
function statusOf(call: TappedCall): [number, string] {
  const source = call.trailers ?? call.responseHeaders;
  const code = headerValue(source, "grpc-status");
  if (code !== undefined) return [Number(code), decodeGrpcMessage(headerValue(source, "grpc-message"))];
  const httpStatus = headerValue(call.responseHeaders, ":status") ?? "";
  return call.isGrpc ? [Status.UNKNOWN, `target answered HTTP ${httpStatus} without grpc-status`] : [0, `HTTP ${httpStatus}`];
}

/** grpc-message is percent-encoded (gRPC over HTTP/2 spec). */
function decodeGrpcMessage(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? "");
  } catch {
    return value ?? "";
  }
}
