/**
 * The raw HTTP/1.1 forwarding core: serves one client connection by finding message
 * boundaries in the bytes themselves (`http1-head.ts`, `http1-body.ts`) and copying
 * them to a pooled target connection (`http1-upstream-pool.ts`) and back, instead of
 * running a node:http server and a node:http client per exchange. Heads are forwarded
 * without their hop-by-hop lines; bodies (chunk framing and trailers included) go
 * through byte for byte as they arrive, with backpressure both ways, the first bytes
 * captured on the side for the event.
 *
 * One exchange at a time per connection: bytes of a next (pipelined) request wait
 * until the response in flight is complete. Whatever is not a plain HTTP/1.1 request
 * (upgrades, `Expect`, HTTP/1.0, CONNECT, odd framing, any malformed byte) is handed,
 * at a request boundary and with its bytes put back, to the node:http path
 * (`fallback`), which keeps the connection from then on.
 */
import type { Socket } from "node:net";
import { BodyCapture } from "./body-capture.js";
import { BodyReader } from "./http1-body.js";
import {
  findHeadEnd,
  forwardableHead,
  MAX_REQUEST_HEAD,
  MAX_RESPONSE_HEAD,
  parseRequestHead,
  parseResponseHead,
  type RequestHead,
  type ResponseHead,
} from "./http1-head.js";
import type { UpstreamConnection, UpstreamOwner, UpstreamPool } from "./http1-upstream-pool.js";
import type { ProxyEdge, ProxyEvent, ProxyTarget } from "./proxy-contract.js";
import { requestCompletedEvent } from "./request-event.js";

/** What the raw core needs from the proxy it serves. */
export interface RawHttpContext {
  readonly pool: UpstreamPool;
  readonly target: ProxyTarget;
  readonly edge: ProxyEdge;
  /** Bytes of each body kept for the event. */
  readonly limit: number;
  readonly emit: (event: ProxyEvent) => void;
  /** Takes over a connection the raw core does not handle; its unread bytes are back in the socket. */
  readonly fallback: (socket: Socket) => void;
}

/** Serves `socket` (a client connection) with the raw core until it closes or falls back. */
export function serveRawHttp(ctx: RawHttpContext, socket: Socket): void {
  new ClientConnection(ctx, socket);
}

/** Writes `a` then `b` (either may be empty) as one write where that is cheap. */
function writeTwo(socket: Socket, a: Buffer, b: Buffer): boolean {
  if (b.length === 0) return socket.write(a);
  if (a.length === 0) return socket.write(b);
  if (a.buffer === b.buffer && a.byteOffset + a.length === b.byteOffset) {
    return socket.write(Buffer.from(a.buffer, a.byteOffset, a.length + b.length));
  }
  if (a.length + b.length <= 16 * 1024) return socket.write(Buffer.concat([a, b], a.length + b.length));
  socket.cork();
  socket.write(a);
  const ok = socket.write(b);
  socket.uncork();
  return ok;
}

/** One client connection: parses requests and runs one Exchange at a time. */
class ClientConnection {
  /** Bytes read but not yet given to an exchange (a partial head, or a pipelined request). */
  #pending: Buffer | undefined;
  /** Where to resume looking for the end of a partial head. */
  #searchFrom = 0;
  #exchange: Exchange | undefined;
  /** Reading is stopped until the target connection drains. */
  #throttled = false;
  /** We ended or destroyed the connection: ignore whatever still arrives. */
  #closing = false;
  readonly #onData = (chunk: Buffer): void => this.#data(chunk);
  readonly #onEnd = (): void => this.#end();
  readonly #onDrain = (): void => this.#exchange?.clientDrain();
  readonly #onClose = (): void => this.#exchange?.clientClosed();
  readonly #onError = (): void => {
    // "close" follows and settles the exchange
  };

  constructor(
    readonly ctx: RawHttpContext,
    readonly socket: Socket,
  ) {
    // FIN from the client is handled in #end, not by net's automatic end.
    socket.allowHalfOpen = true;
    socket.on("data", this.#onData);
    socket.on("end", this.#onEnd);
    socket.on("drain", this.#onDrain);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  #data(chunk: Buffer): void {
    if (this.#closing) return;
    const exchange = this.#exchange;
    if (exchange !== undefined && !exchange.requestDone) {
      const used = exchange.requestBytes(chunk, 0);
      if (used < chunk.length) this.#keep(chunk.subarray(used));
      if (exchange.requestDone) exchange.requestEnded();
      return;
    }
    this.#keep(chunk);
    if (exchange === undefined) this.#parse();
  }

  /** Keeps bytes for later; while an exchange is in flight they wait (no pipelining). */
  #keep(bytes: Buffer): void {
    this.#pending = this.#pending === undefined ? bytes : Buffer.concat([this.#pending, bytes]);
    this.#updateReading();
  }

  /** Starts exchanges for the complete requests in #pending, one at a time. */
  #parse(): void {
    while (this.#exchange === undefined && this.#pending !== undefined && !this.#closing) {
      const buf = this.#pending;
      const headEnd = findHeadEnd(buf, 0, this.#searchFrom);
      if (headEnd < 0) {
        if (buf.length > MAX_REQUEST_HEAD) return this.#fallBack();
        this.#searchFrom = buf.length;
        break;
      }
      const head = headEnd > MAX_REQUEST_HEAD ? undefined : parseRequestHead(buf, 0, headEnd);
      if (head === undefined) return this.#fallBack();
      this.#searchFrom = 0;
      this.#pending = undefined;
      const exchange = new Exchange(this, head);
      this.#exchange = exchange;
      const used = exchange.start(buf, headEnd);
      if (used < buf.length) this.#pending = buf.subarray(used);
      if (exchange.requestDone) exchange.requestEnded();
    }
    this.#updateReading();
  }

  /** Reads only while no exchange is waiting for its response with a next request already here. */
  #updateReading(): void {
    const stop = this.#throttled || (this.#exchange !== undefined && this.#pending !== undefined);
    if (stop !== this.socket.isPaused()) {
      if (stop) this.socket.pause();
      else this.socket.resume();
    }
  }

  /** Stops (or resumes) reading the client while the target connection is full. */
  throttle(on: boolean): void {
    this.#throttled = on;
    this.#updateReading();
  }

  /** The exchange in flight is over: end the connection or go on with the next request. */
  exchangeDone(close: boolean): void {
    this.#exchange = undefined;
    this.#throttled = false;
    if (close) return this.close(false);
    this.#parse();
  }

  /** Ends the connection (after pending writes), or destroys it at once. */
  close(destroy: boolean): void {
    this.#closing = true;
    this.#pending = undefined;
    if (destroy) return void this.socket.destroy();
    this.socket.end();
    // Read (and drop) whatever the client still sends, so its FIN is seen and the socket closes.
    this.socket.resume();
  }

  /**
   * The client sent FIN. As node:http's server does by default, that ends whatever is
   * in flight: a client that went away must not hold a long poll's or a stream's
   * target connection open until a write to it fails.
   */
  #end(): void {
    const exchange = this.#exchange;
    if (exchange !== undefined) exchange.abort("source closed the connection before the response completed");
    else if (!this.#closing) this.close(false);
  }

  /** Gives the connection, unread bytes put back, to the node:http path for good. */
  #fallBack(): void {
    const { socket } = this;
    socket.off("data", this.#onData);
    socket.off("end", this.#onEnd);
    socket.off("drain", this.#onDrain);
    socket.off("error", this.#onError);
    socket.off("close", this.#onClose);
    socket.pause();
    if (this.#pending !== undefined) socket.unshift(this.#pending);
    this.#pending = undefined;
    this.ctx.fallback(socket);
  }
}

/** Methods a request without a body may be re-sent with when a reused target connection closed under it (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** One request and its response; publishes the event when the response is delivered. */
class Exchange implements UpstreamOwner {
  readonly #client: ClientConnection;
  readonly #ctx: RawHttpContext;
  readonly #request: RequestHead;
  readonly #started = performance.now();
  readonly #requestBody: BodyCapture;
  readonly #responseBody: BodyCapture;
  readonly #requestReader: BodyReader;
  #upstream: UpstreamConnection;
  /** The head as sent, kept while the request could still be re-sent on a new connection. */
  #resendable: Buffer | undefined;
  /** Response bytes before a complete head. */
  #responsePending: Buffer | undefined;
  #responseSearchFrom = 0;
  #response: ResponseHead | undefined;
  #responseReader: BodyReader | undefined;
  /** The target sent anything at all. */
  #responseStarted = false;
  #responseDone = false;
  /** The target connection can carry another exchange once this one ends. */
  #reusable = true;
  #closeClient: boolean;
  /** The target connection is paused until the client drains. */
  #upstreamThrottled = false;
  #status = 0;
  #emitted = false;
  #finished = false;

  constructor(client: ClientConnection, request: RequestHead) {
    this.#client = client;
    this.#ctx = client.ctx;
    this.#request = request;
    this.#requestBody = new BodyCapture(client.ctx.limit);
    this.#responseBody = new BodyCapture(client.ctx.limit);
    this.#requestReader = new BodyReader(request.framing);
    this.#closeClient = request.close;
    this.#upstream = client.ctx.pool.acquire(this);
  }

  get requestDone(): boolean {
    return this.#requestReader.done;
  }

  /** Sends the head (`buf[0, headEnd)`) and the body bytes after it; returns where the request ended in `buf`. */
  start(buf: Buffer, headEnd: number): number {
    const head = forwardableHead(buf, 0, this.#request.headers, "");
    const end = this.#requestReader.read(buf, headEnd, buf.length, this.#requestBody);
    if (this.#requestReader.error !== undefined) {
      this.abort(`source: ${this.#requestReader.error}`);
      return buf.length;
    }
    const bodiless = this.#request.framing.kind === "none";
    if (bodiless && this.#upstream.reused && IDEMPOTENT.has(this.#request.method)) this.#resendable = head;
    this.#writeUpstream(head, buf.subarray(headEnd, end));
    return end;
  }

  /** Forwards request body bytes from `chunk[start...]`; returns where the request ended. */
  requestBytes(chunk: Buffer, start: number): number {
    const end = this.#requestReader.read(chunk, start, chunk.length, this.#requestBody);
    if (this.#requestReader.error !== undefined) {
      this.abort(`source: ${this.#requestReader.error}`);
      return chunk.length;
    }
    if (end > start && !this.#upstream.closed) this.#writeUpstream(chunk.subarray(start, end), chunk.subarray(0, 0));
    return end;
  }

  /** The request's last byte went out: the exchange ends if its response is complete too. */
  requestEnded(): void {
    if (this.#responseDone) this.#finish();
  }

  #writeUpstream(a: Buffer, b: Buffer): void {
    if (!writeTwo(this.#upstream.socket, a, b)) this.#client.throttle(true);
  }

  upstreamDrain(): void {
    this.#client.throttle(false);
  }

  clientDrain(): void {
    if (this.#upstreamThrottled) {
      this.#upstreamThrottled = false;
      this.#upstream.socket.resume();
    }
  }

  #writeClient(a: Buffer, b: Buffer): void {
    if (!writeTwo(this.#client.socket, a, b) && !this.#upstreamThrottled) {
      this.#upstreamThrottled = true;
      this.#upstream.socket.pause();
    }
  }

  upstreamData(chunk: Buffer): void {
    if (this.#responseDone) {
      // More than the response framed: the connection is out of step.
      this.#reusable = false;
      return;
    }
    this.#responseStarted = true;
    this.#resendable = undefined;
    const reader = this.#responseReader;
    if (reader !== undefined) {
      const end = reader.read(chunk, 0, chunk.length, this.#responseBody);
      if (end > 0) this.#writeClient(chunk.subarray(0, end), chunk.subarray(0, 0));
      return this.#afterResponseBytes(reader, end, chunk.length);
    }
    let buf = this.#responsePending === undefined ? chunk : Buffer.concat([this.#responsePending, chunk]);
    for (;;) {
      const headEnd = findHeadEnd(buf, 0, this.#responseSearchFrom);
      if (headEnd < 0) {
        if (buf.length > MAX_RESPONSE_HEAD) return this.#upstreamFailed("response head too large", true);
        this.#responsePending = buf;
        this.#responseSearchFrom = buf.length;
        return;
      }
      const head = parseResponseHead(buf, 0, headEnd, this.#request.method);
      if (head === undefined) return this.#upstreamFailed("malformed response head", true);
      this.#responseSearchFrom = 0;
      if (head.status < 200) {
        // Interim responses (100, 103) stop here, as node:http's client and server would have it.
        buf = buf.subarray(headEnd);
        this.#responsePending = undefined;
        if (buf.length === 0) return;
        continue;
      }
      this.#responsePending = undefined;
      this.#response = head;
      this.#status = head.status;
      if (head.framing.kind === "close") this.#closeClient = true;
      // A proxy sends its own version (RFC 9110 §6.2): the client talks HTTP/1.1 with us.
      if (buf[7] === 0x30) buf[7] = 0x31;
      const out = forwardableHead(buf, 0, head.headers, this.#closeClient ? "Connection: close\r\n" : "");
      const bodyReader = new BodyReader(head.framing);
      this.#responseReader = bodyReader;
      const end = bodyReader.read(buf, headEnd, buf.length, this.#responseBody);
      this.#writeClient(out, buf.subarray(headEnd, end));
      return this.#afterResponseBytes(bodyReader, end, buf.length);
    }
  }

  #afterResponseBytes(reader: BodyReader, end: number, length: number): void {
    if (reader.error !== undefined) return this.#upstreamFailed(reader.error, true);
    if (end < length) this.#reusable = false;
    if (reader.done) this.#responseComplete();
  }

  #responseComplete(): void {
    this.#responseDone = true;
    this.#emit("");
    if (this.#requestReader.done) this.#finish();
  }

  upstreamClosed(error: Error | undefined): void {
    if (this.#finished) return;
    if (this.#responseDone) {
      // The response is out but the request was not over: its rest has nowhere to go.
      this.#closeClient = true;
      return this.#finish();
    }
    if (this.#response?.framing.kind === "close" && error === undefined) {
      // A body delimited by the connection's end.
      this.#responseDone = true;
      this.#emit("");
      return this.#finish();
    }
    if (!this.#responseStarted && this.#resendable !== undefined) {
      // A kept-alive connection the target closed just as this request went out: send it on a new one.
      const head = this.#resendable;
      this.#resendable = undefined;
      this.#upstream = this.#ctx.pool.acquire(this, true);
      this.#writeUpstream(head, head.subarray(0, 0));
      return;
    }
    if (this.#response === undefined) return this.#upstreamFailed(error?.message ?? "socket hang up", false);
    this.#upstreamFailed(error ? error.message : "", false);
  }

  /**
   * The target failed this exchange. Before a response head went out the client gets a
   * 502; after, its connection is cut, as the target cut ours.
   */
  #upstreamFailed(message: string, destroyUpstream: boolean): void {
    if (this.#finished) return;
    if (destroyUpstream) this.#reusable = false;
    if (this.#response === undefined) {
      const { host, port } = this.#ctx.target;
      const body = Buffer.from(`rig proxy: cannot reach ${host}:${port}: ${message}\n`);
      if (!this.#requestReader.done) this.#closeClient = true;
      const head =
        "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\n" +
        `content-length: ${body.length}\r\n${this.#closeClient ? "Connection: close\r\n" : ""}\r\n`;
      this.#status = 502;
      this.#writeClient(Buffer.from(head, "latin1"), body);
      this.#responseDone = true;
      this.#emit(`target: ${message}`);
      return this.#finish();
    }
    this.#emit(message === "" ? "target closed the connection before the response completed" : `target: ${message}`);
    this.#finished = true;
    this.#ctx.pool.discard(this.#upstream);
    this.#client.close(true);
  }

  /** The client connection closed under the exchange. */
  clientClosed(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ctx.pool.discard(this.#upstream);
    this.#emit("source closed the connection before the response completed");
  }

  /** Ends the exchange on a client fault: both connections are cut. */
  abort(error: string): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#ctx.pool.discard(this.#upstream);
    this.#emit(error);
    this.#client.close(true);
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    const upstream = this.#upstream;
    const response = this.#response;
    if (this.#reusable && response !== undefined && !response.close && this.#requestReader.done && !upstream.closed) {
      this.#ctx.pool.release(upstream, response.keepAliveMs);
    } else {
      this.#ctx.pool.discard(upstream);
    }
    this.#client.exchangeDone(this.#closeClient || !this.#requestReader.done);
  }

  #emit(error: string): void {
    if (this.#emitted) return;
    this.#emitted = true;
    const request = this.#request;
    this.#ctx.emit(
      requestCompletedEvent(this.#ctx.edge, {
        method: request.method,
        path: request.target,
        status: this.#status,
        started: this.#started,
        requestHeaders: request.headers.rawHeaders,
        responseHeaders: this.#response === undefined ? [] : this.#response.headers.rawHeaders,
        requestBody: this.#requestBody,
        responseBody: this.#responseBody,
        error,
      }),
    );
  }
}
