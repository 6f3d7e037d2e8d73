/**
 * Splits one direction of a Kafka connection into frames (an int32 size, then that many
 * bytes) across chunk boundaries. Each frame is handed on whole; a size that is
 * negative or over `maxFrame` means the stream is not Kafka (or is corrupt).
 */
import { WireError } from "./wire-reader.js";

/** Larger than the broker's default socket.request.max.bytes (100 MiB) and fetch.max.bytes. */
const DEFAULT_MAX_FRAME = 256 * 1024 * 1024;

/** The frames of one direction, as its chunks arrive. */
export class FrameSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxFrame = DEFAULT_MAX_FRAME) {}

  /** Adds a chunk; returns the frames (payloads, without the size) it completed. */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const frames: Buffer[] = [];
    while (this.pendingBytes >= 4) {
      // Only the size is looked at until the whole frame is here: no copying per chunk.
      const first = this.pending[0] as Buffer;
      const size = (first.length >= 4 ? first : this.flatten()).readInt32BE(0);
      if (size < 0 || size > this.maxFrame) throw new WireError(`frame size ${size} is not a Kafka frame`);
      if (this.pendingBytes < 4 + size) break;
      const all = this.flatten();
      frames.push(all.subarray(4, 4 + size));
      const rest = all.subarray(4 + size);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    }
    return frames;
  }

  private flatten(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0] as Buffer;
  }
}

/** A frame with its int32 size in front. */
export function framed(payload: Buffer): Buffer[] {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return [size, payload];
}
