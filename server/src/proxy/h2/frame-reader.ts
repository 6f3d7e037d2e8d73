/**
 * Splits one direction of an HTTP/2 connection into frames (RFC 9113 §4) as its bytes
 * pass a proxy, without holding them up: DATA payloads are handed on in pieces as they
 * arrive (padding removed), so a large stream is never buffered; every other frame is
 * small and handed on whole.
 */

/** Frame types the proxy reads (RFC 9113 §6). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  GOAWAY: 0x7,
  CONTINUATION: 0x9,
} as const;

/** Frame flags the proxy reads. */
export const FrameFlag = {
  END_STREAM: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** What a FrameReader reports. */
export interface FrameHandler {
  /** A piece of a DATA frame's payload (padding removed); a view, valid only during the call. */
  data(streamId: number, piece: Buffer): void;
  /** A DATA frame flagged END_STREAM ended. */
  dataEndStream(streamId: number): void;
  /**
   * Any frame but DATA, with its whole payload: a view into the bytes read, valid only
   * during the call (copy what is kept).
   */
  frame(type: number, flags: number, streamId: number, payload: Buffer): void;
}

/** Thrown when the bytes are not HTTP/2 framing. */
export class FrameError extends Error {
  override readonly name = "FrameError";
}

const CLIENT_PREFACE_LENGTH = 24;
const FRAME_HEADER_LENGTH = 9;
const EMPTY = Buffer.alloc(0);

/** Reads one direction of a connection; `preface` for the client's side, which opens with the connection preface. */
export class FrameReader {
  /** Preface bytes still to skip. */
  #prefaceLeft: number;
  readonly #head = Buffer.alloc(FRAME_HEADER_LENGTH);
  #headFill = 0;
  // The frame being read
  #type = 0;
  #flags = 0;
  #streamId = 0;
  /** Payload bytes of the current frame not read yet (-1: reading the header). */
  #payloadLeft = -1;
  // DATA frames
  #padLengthPending = false;
  #dataLeft = 0;
  #padLeft = 0;
  // Other frames
  #parts: Buffer[] = [];
  #length = 0;

  constructor(
    private readonly handler: FrameHandler,
    options: { readonly preface: boolean },
  ) {
    this.#prefaceLeft = options.preface ? CLIENT_PREFACE_LENGTH : 0;
  }

  /** Feeds the next bytes of this direction. */
  push(chunk: Buffer): void {
    let offset = 0;
    if (this.#prefaceLeft > 0) {
      offset = Math.min(this.#prefaceLeft, chunk.length);
      this.#prefaceLeft -= offset;
    }
    while (offset < chunk.length) {
      if (this.#payloadLeft < 0) {
        const take = Math.min(FRAME_HEADER_LENGTH - this.#headFill, chunk.length - offset);
        chunk.copy(this.#head, this.#headFill, offset, offset + take);
        this.#headFill += take;
        offset += take;
        if (this.#headFill === FRAME_HEADER_LENGTH) this.#startFrame();
        continue;
      }
      offset = this.#type === FrameType.DATA ? this.#readData(chunk, offset) : this.#readOther(chunk, offset);
    }
  }

  #startFrame(): void {
    const head = this.#head;
    this.#headFill = 0;
    this.#length = head.readUIntBE(0, 3);
    this.#type = head[3]!;
    this.#flags = head[4]!;
    this.#streamId = head.readUInt32BE(5) & 0x7fffffff;
    this.#payloadLeft = this.#length;
    if (this.#type === FrameType.DATA) {
      this.#padLengthPending = (this.#flags & FrameFlag.PADDED) !== 0;
      this.#dataLeft = this.#padLengthPending ? 0 : this.#length;
      this.#padLeft = 0;
    }
    // A frame without payload ends here.
    if (this.#length === 0) this.#endFrame(EMPTY);
  }

  #readData(chunk: Buffer, offset: number): number {
    if (this.#padLengthPending) {
      this.#padLengthPending = false;
      this.#padLeft = chunk[offset]!;
      this.#dataLeft = this.#length - 1 - this.#padLeft;
      if (this.#dataLeft < 0) throw new FrameError(`DATA frame on stream ${this.#streamId}: padding longer than its payload`);
      offset++;
      this.#payloadLeft--;
    } else if (this.#dataLeft > 0) {
      const take = Math.min(this.#dataLeft, chunk.length - offset);
      this.handler.data(this.#streamId, chunk.subarray(offset, offset + take));
      this.#dataLeft -= take;
      this.#payloadLeft -= take;
      offset += take;
    } else {
      const take = Math.min(this.#padLeft, chunk.length - offset);
      this.#padLeft -= take;
      this.#payloadLeft -= take;
      offset += take;
    }
    if (this.#payloadLeft === 0) this.#endFrame(EMPTY);
    return offset;
  }

  #readOther(chunk: Buffer, offset: number): number {
    const take = Math.min(this.#payloadLeft, chunk.length - offset);
    this.#payloadLeft -= take;
    // A frame whole in this chunk (nearly all) is handed on as a view of it, read before
    // push returns; one that spans chunks is copied as its parts arrive (the chunk is
    // forwarded once push returns).
    if (this.#payloadLeft === 0 && this.#parts.length === 0) {
      this.#endFrame(chunk.subarray(offset, offset + take));
      return offset + take;
    }
    this.#parts.push(Buffer.copyBytesFrom(chunk, offset, take));
    if (this.#payloadLeft === 0) {
      const parts = this.#parts;
      this.#parts = [];
      this.#endFrame(Buffer.concat(parts, this.#length));
    }
    return offset + take;
  }

  #endFrame(payload: Buffer): void {
    this.#payloadLeft = -1;
    if (this.#type === FrameType.DATA) {
      if (this.#flags & FrameFlag.END_STREAM) this.handler.dataEndStream(this.#streamId);
    } else {
      this.handler.frame(this.#type, this.#flags, this.#streamId, payload);
    }
  }
}
