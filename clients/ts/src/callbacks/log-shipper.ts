/**
 * Ships the output of a func service to rigd as service_logs events: line-buffered per
 * stream, batched, through a bounded queue. Writing never blocks and never throws; when
 * rigd cannot keep up, lines beyond the queue bound are dropped and the drop is counted
 * in the next batch.
 */
import { LogStream } from "../gen/rig/v1/event_pb.js";

/** One line of output. */
export interface LogLine {
  readonly stream: LogStream;
  readonly line: string;
}

/** Sends one batch of lines; its failure loses that batch, nothing more. */
export type PostLines = (lines: LogLine[]) => Promise<unknown>;

/** Limits of a shipper. */
export interface LogShipperOptions {
  /** Most lines held waiting to be sent. Default 10 000. */
  readonly maxQueued?: number;
  /** Most lines per PostEvent. Default 500. */
  readonly maxBatch?: number;
  /** How long lines may wait to be batched. Default 50 ms. */
  readonly flushDelayMs?: number;
  /** Longest partial line held before it is sent anyway. Default 64 KiB. */
  readonly maxLineLength?: number;
}

/** Line-buffered, batched, bounded forwarding of one service's output. */
export class LogShipper {
  readonly #post: PostLines;
  readonly #maxQueued: number;
  readonly #maxBatch: number;
  readonly #flushDelayMs: number;
  readonly #maxLineLength: number;
  readonly #partial = new Map<LogStream, string>();
  #queue: LogLine[] = [];
  #dropped = 0;
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #closed = false;

  constructor(post: PostLines, options: LogShipperOptions = {}) {
    this.#post = post;
    this.#maxQueued = options.maxQueued ?? 10_000;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#flushDelayMs = options.flushDelayMs ?? 50;
    this.#maxLineLength = options.maxLineLength ?? 64 * 1024;
  }

  /** Appends output; complete lines are queued, a trailing partial line waits for its newline. */
  write(stream: LogStream, text: string): void {
    if (this.#closed || text === "") return;
    const pending = (this.#partial.get(stream) ?? "") + text;
    const lines = pending.split("\n");
    let rest = lines.pop() as string;
    for (const line of lines) this.#enqueue(stream, line.endsWith("\r") ? line.slice(0, -1) : line);
    while (rest.length > this.#maxLineLength) {
      this.#enqueue(stream, rest.slice(0, this.#maxLineLength));
      rest = rest.slice(this.#maxLineLength);
    }
    this.#partial.set(stream, rest);
  }

  /** Number of lines dropped so far because the queue was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Sends partial lines and everything queued; resolves once sent (or lost). */
  async flush(): Promise<void> {
    for (const [stream, rest] of this.#partial) if (rest !== "") this.#enqueue(stream, rest);
    this.#partial.clear();
    while (this.#queue.length > 0 || this.#sending) {
      if (!this.#sending) this.#send();
      await this.#sending;
    }
  }

  /** Flushes, then ignores further writes. */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #enqueue(stream: LogStream, line: string): void {
    if (this.#queue.length >= this.#maxQueued) {
      this.#dropped++;
      return;
    }
    this.#queue.push({ stream, line });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer || this.#sending) return;
    // Unref'd: pending log lines alone must not keep a finished test process alive.
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#send();
    }, this.#flushDelayMs).unref();
  }

  #send(): void {
    if (this.#sending || this.#queue.length === 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (this.#dropped > 0) {
      batch.push({ stream: LogStream.STDERR, line: `[rig] ${this.#dropped} log line(s) dropped: output faster than rigd accepts it` });
      this.#dropped = 0;
    }
    this.#sending = this.#post(batch).then(
      () => undefined,
      () => undefined, // a lost batch is not worth failing the service for
    );
    void this.#sending.then(() => {
      this.#sending = undefined;
      if (this.#queue.length > 0) this.#schedule();
    });
  }
}
