/**
 * Splits one direction of a gRPC stream into its length-prefixed messages
 * (1 byte compressed flag, 4 bytes big-endian length, payload) as chunks pass by.
 * A message may span chunks and a chunk may hold several messages. Payloads are kept
 * only while they fit the capture limits, so a large stream costs no memory.
 */

/** One message seen on the wire. */
export interface GrpcWireMessage {
  readonly compressed: boolean;
  /** Payload length from the prefix. */
  readonly length: number;
  /** The payload, or undefined when it was over the capture limits. */
  readonly payload: Uint8Array | undefined;
}

/** Capture limits of a parser. */
export interface CaptureLimits {
  /** Messages whose payloads are kept; later messages are only counted. */
  readonly maxMessages: number;
  /** Largest payload kept. */
  readonly maxMessageBytes: number;
  /** Payload bytes kept in all (like one HTTP body), so one call's capture stays small. */
  readonly maxTotalBytes: number;
}

/** Parses one direction of a gRPC stream. */
export class GrpcMessageParser {
  readonly messages: GrpcWireMessage[] = [];
  /** Complete messages seen (kept or not). */
  count = 0;
  /** Bytes seen, prefixes included. */
  bytes = 0;
  /** Messages seen but not kept because of the limits. */
  skipped = 0;
  /** Payload bytes of the kept messages. */
  #kept = 0;
  /** Set once a message did not fit maxTotalBytes: later ones are not kept either. */
  #full = false;

  /** Prefix bytes read so far; the prefix is decoded byte by byte (no Buffer per parser). */
  #prefixFill = 0;
  #compressed = false;
  #length = 0;
  /** Payload bytes still expected for the current message. */
  #remaining = 0;
  #parts: Buffer[] | undefined;

  constructor(readonly limits: CaptureLimits) {}

  /** True when the stream stopped in the middle of a message. */
  get partial(): boolean {
    return this.#prefixFill > 0 || this.#remaining > 0;
  }

  /** Feeds the next chunk. */
  push(chunk: Uint8Array): void {
    this.bytes += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#remaining === 0) {
        const byte = chunk[offset++] as number;
        if (this.#prefixFill === 0) {
          this.#compressed = byte !== 0;
          this.#length = 0;
        } else {
          this.#length = this.#length * 256 + byte;
        }
        if (++this.#prefixFill < 5) continue;
        this.#prefixFill = 0;
        this.#remaining = this.#length;
        if (this.#kept + this.#length > this.limits.maxTotalBytes) this.#full = true;
        const keep = !this.#full && this.messages.length < this.limits.maxMessages && this.#length <= this.limits.maxMessageBytes;
        if (keep) this.#kept += this.#length;
        this.#parts = keep ? [] : undefined;
        if (this.#length === 0) this.#complete();
        continue;
      }
      const take = Math.min(this.#remaining, chunk.length - offset);
      // Copy (one allocation, no view first): the stream owns its chunk buffers.
      this.#parts?.push(Buffer.copyBytesFrom(chunk, offset, take));
      this.#remaining -= take;
      offset += take;
      if (this.#remaining === 0) this.#complete();
    }
  }

  #complete(): void {
    this.count++;
    const parts = this.#parts;
    if (parts) {
      const payload = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, this.#length);
      this.messages.push({ compressed: this.#compressed, length: this.#length, payload });
    } else {
      this.skipped++;
    }
    this.#parts = undefined;
  }
}
