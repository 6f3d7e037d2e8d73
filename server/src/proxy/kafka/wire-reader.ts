/**
 * Reading the Kafka protocol's primitive types from one frame: fixed-width integers,
 * zigzag varints (record fields), unsigned varints (compact lengths of flexible
 * versions), strings, bytes, arrays and tagged fields. `flexible` selects the compact
 * encodings (KIP-482). Reading past the end throws a WireError, never returns garbage.
 */

/** A frame does not hold what its API and version promise. */
export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** A cursor over one buffer. */
export class WireReader {
  offset: number;

  constructor(
    readonly buffer: Buffer,
    offset = 0,
    private readonly end = buffer.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private take(n: number): number {
    if (n < 0 || this.offset + n > this.end) throw new WireError(`needs ${n} bytes at ${this.offset}, ${this.remaining} left`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int8(): number {
    return this.buffer.readInt8(this.take(1));
  }

  int16(): number {
    return this.buffer.readInt16BE(this.take(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.take(4));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.take(8));
  }

  skip(n: number): void {
    this.take(n);
  }

  /** The next `n` bytes, as a view of the buffer. */
  raw(n: number): Buffer {
    const at = this.take(n);
    return this.buffer.subarray(at, at + n);
  }

  /** Unsigned LEB128 (compact lengths, tag numbers). */
  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buffer.readUInt8(this.take(1));
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new WireError(`unsigned varint over 5 bytes at ${this.offset}`);
  }

  /** Zigzag varint (record lengths and deltas). */
  varint(): number {
    const raw = this.uvarint();
    return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  }

  /** Zigzag varlong (timestamp deltas). */
  varlong(): bigint {
    let raw = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.buffer.readUInt8(this.take(1));
      raw |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return (raw >> 1n) ^ -(raw & 1n);
    }
    throw new WireError(`varlong over 10 bytes at ${this.offset}`);
  }

  /** A length: int16/int32 when not flexible, compact (uvarint - 1) when flexible; -1 is null. */
  private length(flexible: boolean, wide: boolean): number {
    if (flexible) return this.uvarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  /** A (nullable) string; null for a null string. */
  string(flexible: boolean): string | null {
    const n = this.length(flexible, false);
    if (n < 0) return null;
    const at = this.take(n);
    return this.buffer.toString("utf8", at, at + n);
  }

  /** A (nullable) byte string, as a view of the frame; null for null. */
  bytes(flexible: boolean): Buffer | null {
    const n = this.length(flexible, true);
    if (n < 0) return null;
    const at = this.take(n);
    return this.buffer.subarray(at, at + n);
  }

  /** A (nullable) array's element count; -1 for null. */
  arrayLength(flexible: boolean): number {
    return this.length(flexible, true);
  }

  /** Reads `count` elements with `item`. */
  array<T>(flexible: boolean, item: () => T): T[] {
    const n = this.arrayLength(flexible);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item());
    return out;
  }

  /** Skips a tagged-field section (flexible versions only). */
  taggedFields(flexible: boolean): void {
    if (!flexible) return;
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint(); // tag
      this.skip(this.uvarint());
    }
  }
}

/** A string encoded as the protocol does: int16 length, or compact (uvarint length + 1). */
export function encodeString(value: string, flexible: boolean): Buffer {
  const bytes = Buffer.from(value, "utf8");
  if (!flexible) {
    const length = Buffer.alloc(2);
    length.writeInt16BE(bytes.length);
    return Buffer.concat([length, bytes]);
  }
  return Buffer.concat([encodeUvarint(bytes.length + 1), bytes]);
}

/** Unsigned LEB128. */
export function encodeUvarint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** A big-endian int32. */
export function encodeInt32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeInt32BE(value);
  return out;
}
