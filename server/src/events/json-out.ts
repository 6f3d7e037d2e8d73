/**
 * A growing byte buffer that JSON text is written into as UTF-8, without building a
 * string first. `json-writer.ts` writes events straight into the batch that
 * `orchestrator/run-files.ts` sends to disk: concatenating a line as a string cost a
 * cons string per piece, a flattening copy for its byte length and another for the
 * batch's join, about a third of what rigd allocated per proxied request.
 */

/** Characters JSON.stringify escapes (lone surrogates among them): most strings have none. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonOut {
  buf: Buffer;
  /** Bytes written so far: the next write goes here. */
  pos = 0;

  constructor(readonly initialSize = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialSize);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const bigger = Buffer.allocUnsafe(size);
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  /** Bytes encoded once (a field's key, an enum's name). */
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** Text known to be ASCII (numbers, base64, a timestamp's digits). */
  ascii(s: string): void {
    const n = s.length;
    this.reserve(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) buf[p++] = s.charCodeAt(i);
    this.pos = p;
  }

  /** Any text, as UTF-8 (already JSON where it matters: what JSON.stringify gave). */
  utf8(s: string): void {
    this.reserve(s.length * 3);
    this.pos += this.buf.write(s, this.pos, "utf8");
  }

  /** `s` as a JSON string literal: JSON.stringify's text. */
  string(s: string): void {
    // One pass: printable ASCII is copied as it is, `"` and `\` escaped (almost every
    // string rig writes, the JSON of recorded messages among them); at the first other
    // character, the whole string goes the slow way.
    const n = s.length;
    this.reserve(2 * n + 2);
    const buf = this.buf;
    const start = this.pos;
    let p = start;
    buf[p++] = QUOTE;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c >= 0x7f) {
        this.pos = start;
        return this.#slowString(s);
      }
      if (c === QUOTE || c === BACKSLASH) buf[p++] = BACKSLASH;
      buf[p++] = c;
    }
    buf[p++] = QUOTE;
    this.pos = p;
  }

  /** A string with something to escape, or beyond ASCII. */
  #slowString(s: string): void {
    if (NEEDS_ESCAPE.test(s)) return this.utf8(JSON.stringify(s));
    this.reserve(s.length * 3 + 2);
    this.buf[this.pos++] = QUOTE;
    this.pos += this.buf.write(s, this.pos, "utf8");
    this.buf[this.pos++] = QUOTE;
  }

  /** The text written since `start`. */
  text(start = 0): string {
    return this.buf.toString("utf8", start, this.pos);
  }

  /** Forgets what was written; a buffer grown past `keepBytes` is let go for a new one of the initial size. */
  reset(keepBytes = 1024 * 1024): void {
    this.pos = 0;
    if (this.buf.length > keepBytes) this.buf = Buffer.allocUnsafe(this.initialSize);
  }
}
