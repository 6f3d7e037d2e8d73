/**
 * HPACK's Huffman code (RFC 7541 Appendix B) as code lengths per symbol: the code is
 * canonical (codes of one length are consecutive, in symbol order, each length
 * continuing from the last code of the one before), so the lengths alone define it.
 * Symbol 256 is EOS, which never appears inside a string; padding is its leading 1s.
 */
const CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
];

/** Thrown on a string that is not valid Huffman-coded HPACK. */
export class HuffmanError extends Error {
  override readonly name = "HuffmanError";
}

/**
 * Per code length L: the first canonical code of that length and where its symbols start
 * in SYMBOLS (symbols sorted by length, then value). A code c of length L decodes to
 * SYMBOLS[OFFSET[L] + c - FIRST[L]] when c - FIRST[L] < COUNT[L].
 */
const MAX_LENGTH = 30;
const COUNT = new Int32Array(MAX_LENGTH + 1);
const FIRST = new Int32Array(MAX_LENGTH + 1);
const OFFSET = new Int32Array(MAX_LENGTH + 1);
const SYMBOLS = new Uint16Array(CODE_LENGTHS.length);
{
  for (const length of CODE_LENGTHS) COUNT[length]!++;
  let code = 0;
  let offset = 0;
  for (let length = 1; length <= MAX_LENGTH; length++) {
    FIRST[length] = code;
    OFFSET[length] = offset;
    code = (code + COUNT[length]!) << 1;
    offset += COUNT[length]!;
  }
  const order = CODE_LENGTHS.map((length, symbol) => [length, symbol] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  order.forEach(([, symbol], i) => (SYMBOLS[i] = symbol));
}
const SHORTEST = Math.min(...CODE_LENGTHS);
const EOS = 256;

/** Decodes a Huffman-coded string literal into its bytes, read as latin1. */
export function huffmanDecode(input: Uint8Array): string {
  let out = "";
  let code = 0;
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = (code << 1) | ((byte >> bit) & 1);
      length++;
      if (length < SHORTEST) continue;
      const index = code - FIRST[length]!;
      if (index < COUNT[length]!) {
        const symbol = SYMBOLS[OFFSET[length]! + index]!;
        if (symbol === EOS) throw new HuffmanError("EOS inside a Huffman-coded string");
        out += String.fromCharCode(symbol);
        code = 0;
        length = 0;
      } else if (length === MAX_LENGTH) {
        throw new HuffmanError("invalid Huffman code");
      }
    }
  }
  // What is left must be padding: fewer than 8 bits, all 1s (a prefix of EOS).
  if (length > 7 || code !== (1 << length) - 1) throw new HuffmanError("invalid Huffman padding");
  return out;
}
