/**
 * An HPACK decoder (RFC 7541) for one direction of one HTTP/2 connection, used by a proxy
 * that forwards frames untouched and only reads them: fed every header block of that
 * direction in order, its dynamic table tracks the receiver's exactly. Decoding only, so
 * the `never indexed` flag is read and dropped (nothing is re-encoded).
 */
import { HuffmanError, huffmanDecode } from "./hpack-huffman.js";
import { STATIC_TABLE, type HeaderField } from "./hpack-static-table.js";

export type { HeaderField };

/** Thrown on a header block that is not valid HPACK; the connection's table is lost with it. */
export class HpackError extends Error {
  override readonly name = "HpackError";
}

/** RFC 7541 §4.1: an entry's size is its name and value lengths plus 32. */
const ENTRY_OVERHEAD = 32;
/**
 * The largest table size an encoder may announce. HTTP/2's default is 4096 and the
 * decoder's SETTINGS may raise it; a passive reader follows what the encoder announces,
 * up to this bound against a broken peer.
 */
const MAX_TABLE_SIZE = 1 << 20;

/** Decodes the header blocks of one direction of one connection, in order. */
export class HpackDecoder {
  /** Newest entry first, as HPACK indexes it. */
  readonly #table: HeaderField[] = [];
  #size = 0;
  #maxSize = 4096;

  /** Current size of the dynamic table in HPACK's accounting. */
  get tableSize(): number {
    return this.#size;
  }

  /** Decodes one complete header block (all its CONTINUATION fragments joined). */
  decode(block: Uint8Array): HeaderField[] {
    const reader = new BlockReader(block);
    const fields: HeaderField[] = [];
    while (!reader.done) {
      const first = reader.peek();
      if (first & 0x80) {
        // §6.1 indexed field
        fields.push(this.#lookup(reader.integer(7)));
      } else if (first & 0x40) {
        // §6.2.1 literal with incremental indexing
        const field = this.#literal(reader, 6);
        this.#add(field);
        fields.push(field);
      } else if (first & 0x20) {
        // §6.3 dynamic table size update
        const size = reader.integer(5);
        if (size > MAX_TABLE_SIZE) throw new HpackError(`table size update to ${size} is over ${MAX_TABLE_SIZE}`);
        this.#maxSize = size;
        this.#evictTo(size);
      } else {
        // §6.2.2 without indexing, §6.2.3 never indexed: same layout, 4-bit index
        fields.push(this.#literal(reader, 4));
      }
    }
    return fields;
  }

  #literal(reader: BlockReader, prefixBits: number): HeaderField {
    const index = reader.integer(prefixBits);
    const name = index === 0 ? reader.string() : this.#lookup(index)[0];
    return [name, reader.string()];
  }

  #lookup(index: number): HeaderField {
    if (index === 0) throw new HpackError("index 0 is not a header field");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]!;
    const field = this.#table[index - STATIC_TABLE.length - 1];
    if (!field) throw new HpackError(`index ${index} is past the dynamic table (${this.#table.length} entries)`);
    return field;
  }

  #add(field: HeaderField): void {
    const size = field[0].length + field[1].length + ENTRY_OVERHEAD;
    // §4.4: an entry larger than the table empties it and is not added.
    this.#evictTo(this.#maxSize - size);
    if (size > this.#maxSize) return;
    this.#table.unshift(field);
    this.#size += size;
  }

  #evictTo(limit: number): void {
    while (this.#size > Math.max(0, limit)) {
      const [name, value] = this.#table.pop()!;
      this.#size -= name.length + value.length + ENTRY_OVERHEAD;
    }
  }
}

/** Reads HPACK primitives (§5) from one header block. */
class BlockReader {
  #offset = 0;

  constructor(readonly block: Uint8Array) {}

  get done(): boolean {
    return this.#offset >= this.block.length;
  }

  peek(): number {
    return this.block[this.#offset]!;
  }

  /** §5.1: an integer in the low `prefixBits` of the current byte, continued 7 bits per byte. */
  integer(prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = this.#byte() & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      const byte = this.#byte();
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
      if ((byte & 0x80) === 0) return value;
      if (shift > 28) throw new HpackError("integer too large");
    }
  }

  /** §5.2: a string literal, Huffman-coded when the high bit of its length byte is set. */
  string(): string {
    const huffman = (this.peek() & 0x80) !== 0;
    const length = this.integer(7);
    const end = this.#offset + length;
    if (end > this.block.length) throw new HpackError(`string of ${length} bytes runs past the header block`);
    const bytes = this.block.subarray(this.#offset, end);
    this.#offset = end;
    if (!huffman) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
    try {
      return huffmanDecode(bytes);
    } catch (err) {
      if (err instanceof HuffmanError) throw new HpackError(err.message);
      throw err;
    }
  }

  #byte(): number {
    if (this.#offset >= this.block.length) throw new HpackError("header block ends in the middle of a field");
    return this.block[this.#offset++]!;
  }
}
