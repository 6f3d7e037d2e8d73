/**
 * Keeps the first bytes of a body for an event while the body itself streams on.
 */

/** Default capture limit for HTTP bodies (SPEC §9). */
export const BODY_CAPTURE_LIMIT = 64 * 1024;

/** Captures up to `limit` bytes of a stream of chunks and counts the whole size. */
export class BodyCapture {
  readonly #chunks: Buffer[] = [];
  #captured = 0;
  /** Total bytes seen, captured or not. */
  size = 0;
  /** True once a byte beyond the limit was seen. */
  truncated = false;

  constructor(readonly limit: number = BODY_CAPTURE_LIMIT) {}

  /** Records one chunk; copies only the part that fits under the limit. */
  push(chunk: Buffer): void {
    this.size += chunk.length;
    const room = this.limit - this.#captured;
    if (room <= 0) {
      if (chunk.length > 0) this.truncated = true;
      return;
    }
    // Copy: the stream may reuse its buffers after we return.
    const kept = chunk.length <= room ? Buffer.from(chunk) : Buffer.from(chunk.subarray(0, room));
    if (chunk.length > room) this.truncated = true;
    this.#chunks.push(kept);
    this.#captured += kept.length;
  }

  /** The captured bytes. */
  bytes(): Uint8Array {
    return this.#chunks.length === 1 ? (this.#chunks[0] as Buffer) : Buffer.concat(this.#chunks);
  }
}
