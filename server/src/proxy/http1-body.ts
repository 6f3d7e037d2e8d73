/**
 * Finds where an HTTP/1.1 message body ends in the bytes going by, without changing
 * them: the raw core forwards the body exactly as received (chunk framing and
 * trailers included) and only needs to know its end, plus the payload for the event.
 */
import type { BodyCapture } from "./body-capture.js";
import type { BodyFraming } from "./http1-head.js";

const enum Chunk {
  SizeStart,
  Size,
  Extension,
  SizeLf,
  Data,
  DataCr,
  DataLf,
  TrailerStart,
  TrailerLine,
  TrailerLf,
  FinalLf,
}

/** Hex digits of a chunk size beyond which it is refused (2^52 bytes). */
const MAX_SIZE_DIGITS = 13;

/** Follows one message body; feed it the bytes after the head, in order. */
export class BodyReader {
  /** True once the last byte of the body went by. */
  done: boolean;
  /** Set when the chunk framing is malformed; nothing more is read. */
  error: string | undefined;
  readonly #chunked: boolean;
  /** Bytes left: of the body (Content-Length) or of the current chunk. Infinity until close. */
  #remaining: number;
  #state = Chunk.SizeStart;
  #digits = 0;

  constructor(framing: BodyFraming) {
    this.#chunked = framing.kind === "chunked";
    this.#remaining = framing.kind === "length" ? framing.length : framing.kind === "close" ? Infinity : 0;
    this.done = framing.kind === "none";
  }

  /**
   * Reads body bytes from `buf[start, end)`, pushing the payload into `capture`.
   * Returns the offset just past the body's last byte, or `end` when the body goes on
   * (or framing failed: see `error`).
   */
  read(buf: Buffer, start: number, end: number, capture: BodyCapture): number {
    if (this.done || this.error !== undefined || start >= end) return start;
    if (!this.#chunked) {
      const n = Math.min(this.#remaining, end - start);
      capture.push(buf.subarray(start, start + n));
      this.#remaining -= n;
      if (this.#remaining === 0) this.done = true;
      return start + n;
    }
    return this.#readChunked(buf, start, end, capture);
  }

  #readChunked(buf: Buffer, start: number, end: number, capture: BodyCapture): number {
    let i = start;
    while (i < end) {
      if (this.#state === Chunk.Data) {
        const n = Math.min(this.#remaining, end - i);
        capture.push(buf.subarray(i, i + n));
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) this.#state = Chunk.DataCr;
        continue;
      }
      const byte = buf[i++] as number;
      switch (this.#state) {
        case Chunk.SizeStart:
        case Chunk.Size: {
          const digit = hexValue(byte);
          if (digit >= 0) {
            if (++this.#digits > MAX_SIZE_DIGITS) return this.#fail("chunk size too large", end);
            this.#remaining = this.#remaining * 16 + digit;
            this.#state = Chunk.Size;
          } else if (this.#state === Chunk.Size && byte === 0x3b /* ; */) {
            this.#state = Chunk.Extension;
          } else if (this.#state === Chunk.Size && byte === 0x0d) {
            this.#state = Chunk.SizeLf;
          } else {
            return this.#fail("invalid chunk size", end);
          }
          break;
        }
        case Chunk.Extension:
          if (byte === 0x0d) this.#state = Chunk.SizeLf;
          else if (byte === 0x0a) return this.#fail("invalid chunk extension", end);
          break;
        case Chunk.SizeLf:
          if (byte !== 0x0a) return this.#fail("invalid chunk size line", end);
          this.#digits = 0;
          this.#state = this.#remaining === 0 ? Chunk.TrailerStart : Chunk.Data;
          break;
        case Chunk.DataCr:
          if (byte !== 0x0d) return this.#fail("chunk longer than its size", end);
          this.#state = Chunk.DataLf;
          break;
        case Chunk.DataLf:
          if (byte !== 0x0a) return this.#fail("chunk longer than its size", end);
          this.#state = Chunk.SizeStart;
          break;
        case Chunk.TrailerStart:
          this.#state = byte === 0x0d ? Chunk.FinalLf : Chunk.TrailerLine;
          if (byte === 0x0a) return this.#fail("invalid trailer", end);
          break;
        case Chunk.TrailerLine:
          if (byte === 0x0d) this.#state = Chunk.TrailerLf;
          else if (byte === 0x0a) return this.#fail("invalid trailer", end);
          break;
        case Chunk.TrailerLf:
          if (byte !== 0x0a) return this.#fail("invalid trailer", end);
          this.#state = Chunk.TrailerStart;
          break;
        case Chunk.FinalLf:
          if (byte !== 0x0a) return this.#fail("invalid last chunk", end);
          this.done = true;
          return i;
      }
    }
    return end;
  }

  #fail(error: string, end: number): number {
    this.error = error;
    return end;
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}
