/**
 * HTTP/1.1 message heads (RFC 9112 §2-§6) read straight off a socket's bytes, for the
 * raw forwarding core (`http1-connection.ts`). Deliberately strict: anything outside a
 * plain, well-formed HTTP/1.1 head is reported as unusual, so the caller can give the
 * connection to node:http (requests) or fail the exchange (responses) instead of
 * guessing. Header text is latin1, like node:http's; offsets into the head string are
 * byte offsets into the buffer.
 */

/** Larger heads are left to node:http, which refuses them (its default limit is 16 KiB). */
export const MAX_REQUEST_HEAD = 16 * 1024;
/** Larger response heads fail the exchange. */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** Headers that describe one hop's connection, not the message; never forwarded as-is. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "upgrade"]);
/** Methods forwarded raw; others (CONNECT, WebDAV, ...) go through node:http. */
const PLAIN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"]);
/** Control characters other than HTAB, as a character-class body. */
const CONTROL_CHARS = "\\x00-\\x08\\x0a-\\x1f\\x7f";
/** Token characters (RFC 9110 §5.6.2), as a character-class body. */
const TOKEN_CHARS = "!#$%&'*+\\-.^_`|~0-9A-Za-z";
/**
 * A control character other than HTAB. Lines are split at CRLF, so a lone CR or LF
 * ends up inside a value (or reason phrase), where this finds it.
 */
const CONTROL = new RegExp(`[${CONTROL_CHARS}]`);
/**
 * A whole block of plain header lines (`token:value CRLF`, no obs-fold, no control
 * character but HTAB in a value) and the blank line, tested once per head from its
 * second line (sticky) rather than with two tests per line.
 */
const PLAIN_HEADER_LINES = new RegExp(`(?:[${TOKEN_CHARS}]+:[^${CONTROL_CHARS}]*\\r\\n)*\\r\\n`, "y");
const CONTENT_LENGTH = /^\d{1,15}$/;
/** A request-target of visible ASCII only (node:http decides about anything else). */
const PLAIN_TARGET = /^[\x21-\x7e]+$/;
const HEAD_END = "\r\n\r\n";

/** How a message body is delimited (RFC 9112 §6.3). */
export type BodyFraming =
  | { readonly kind: "none" }
  | { readonly kind: "length"; readonly length: number }
  | { readonly kind: "chunked" }
  | { readonly kind: "close" };

const NO_BODY: BodyFraming = { kind: "none" };
const CHUNKED: BodyFraming = { kind: "chunked" };
const UNTIL_CLOSE: BodyFraming = { kind: "close" };

/** The header fields of a head, as node:http's `rawHeaders` would give them. */
export interface HeaderBlock {
  /** [name, value, name, value, ...]: names as sent, values without surrounding whitespace. */
  readonly rawHeaders: string[];
  /** Byte offset (from the head's start) of each header line; one per pair in `rawHeaders`. */
  readonly lineStarts: number[];
  /** Byte length of the whole head, the blank line included. */
  readonly length: number;
  /** Lower-cased names the Connection header lists (besides the fixed hop-by-hop ones). */
  readonly connectionTokens: readonly string[];
  /** Content-Length values and Transfer-Encoding values seen. */
  readonly contentLengths: readonly string[];
  readonly transferEncodings: readonly string[];
  /** Whether a hop-by-hop header other than a plain `Connection: keep-alive` is present. */
  readonly needsRewrite: boolean;
}

/** A request head the raw core can forward. */
export interface RequestHead {
  readonly headers: HeaderBlock;
  readonly method: string;
  /** The request-target as sent (node:http's `req.url`). */
  readonly target: string;
  readonly framing: BodyFraming;
  /** The client asked to close the connection after this exchange. */
  readonly close: boolean;
}

/** A response head from the target. */
export interface ResponseHead {
  readonly headers: HeaderBlock;
  readonly status: number;
  readonly framing: BodyFraming;
  /** The target will not take another request on this connection. */
  readonly close: boolean;
  /** Milliseconds the target keeps an idle connection (its `Keep-Alive: timeout=`), if it said. */
  readonly keepAliveMs: number | undefined;
}

/** Where a head ends: the offset just past its blank line, or -1 while incomplete. */
export function findHeadEnd(buf: Buffer, start: number, searchFrom: number): number {
  const at = buf.indexOf(HEAD_END, Math.max(start, searchFrom - 3), "latin1");
  return at < 0 ? -1 : at + HEAD_END.length;
}

/**
 * Parses a complete request head (`buf[start, end)`, blank line included). Returns
 * undefined when the request is anything but a plain HTTP/1.1 request the raw core
 * handles: another version, an upgrade, `Expect`, an unusual method or framing, a
 * missing Host, or any malformed byte. node:http then deals with it as it would have.
 */
export function parseRequestHead(buf: Buffer, start: number, end: number): RequestHead | undefined {
  const text = buf.toString("latin1", start, end);
  const lineEnd = text.indexOf("\r\n");
  const firstSpace = text.indexOf(" ");
  const lastSpace = text.lastIndexOf(" ", lineEnd);
  if (firstSpace <= 0 || lastSpace <= firstSpace + 1) return undefined;
  if (lineEnd - lastSpace !== 9 || !text.startsWith(" HTTP/1.1", lastSpace)) return undefined;
  const method = text.slice(0, firstSpace);
  if (!PLAIN_METHODS.has(method)) return undefined;
  const target = text.slice(firstSpace + 1, lastSpace);
  if (!PLAIN_TARGET.test(target)) return undefined;
  const block = parseHeaderBlock(text, lineEnd + 2);
  if (!block) return undefined;

  let hasHost = false;
  let close = false;
  const raw = block.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    switch (name.length) {
      case 4:
        if (name.toLowerCase() === "host") hasHost = true;
        break;
      case 6:
        if (name.toLowerCase() === "expect") return undefined;
        break;
      case 7:
        if (name.toLowerCase() === "upgrade") return undefined;
        break;
      case 10:
        if (name.toLowerCase() === "connection" && hasToken(raw[i + 1] as string, "close")) close = true;
        break;
    }
  }
  if (!hasHost) return undefined;

  const { contentLengths, transferEncodings } = block;
  let framing: BodyFraming = NO_BODY;
  if (transferEncodings.length > 0) {
    if (transferEncodings.length !== 1 || contentLengths.length > 0) return undefined;
    if ((transferEncodings[0] as string).toLowerCase() !== "chunked") return undefined;
    framing = CHUNKED;
  } else if (contentLengths.length > 0) {
    const length = singleContentLength(contentLengths);
    if (length === undefined) return undefined;
    if (length > 0) framing = { kind: "length", length };
  }
  return { headers: block, method, target, framing, close };
}

/**
 * Parses a complete response head from the target. `requestMethod` decides whether a
 * body follows (never after HEAD). Returns undefined for a malformed head, one whose
 * framing contradicts itself, or a 101 (the raw core never asks for an upgrade).
 */
export function parseResponseHead(buf: Buffer, start: number, end: number, requestMethod: string): ResponseHead | undefined {
  const text = buf.toString("latin1", start, end);
  const lineEnd = text.indexOf("\r\n");
  if (!(text.startsWith("HTTP/1.1 ") || text.startsWith("HTTP/1.0 ")) || lineEnd < 12) return undefined;
  const status = statusCode(text);
  if (status < 0 || (lineEnd > 12 && (text[12] !== " " || CONTROL.test(text.slice(13, lineEnd))))) return undefined;
  if (status === 101) return undefined;
  const block = parseHeaderBlock(text, lineEnd + 2);
  if (!block) return undefined;

  const http10 = text[7] === "0";
  let close = http10;
  let keepAliveMs: number | undefined;
  const raw = block.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if ((raw[i] as string).length !== 10) continue;
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === "connection") {
      if (hasToken(value, "close")) close = true;
      else if (http10 && hasToken(value, "keep-alive")) close = false;
    } else if (name === "keep-alive") {
      const match = /(?:^|[\s,])timeout=(\d+)/i.exec(value);
      if (match) keepAliveMs = Number(match[1]) * 1000;
    }
  }

  const { contentLengths, transferEncodings } = block;
  let framing: BodyFraming;
  if (requestMethod === "HEAD" || status < 200 || status === 204 || status === 304) {
    framing = NO_BODY;
  } else if (transferEncodings.length > 0) {
    if (contentLengths.length > 0) return undefined;
    const codings = transferEncodings.join(",").split(",");
    framing = (codings[codings.length - 1] as string).trim().toLowerCase() === "chunked" ? CHUNKED : UNTIL_CLOSE;
  } else if (contentLengths.length > 0) {
    const length = singleContentLength(contentLengths);
    if (length === undefined) return undefined;
    framing = length > 0 ? { kind: "length", length } : NO_BODY;
  } else {
    framing = UNTIL_CLOSE;
  }
  if (framing.kind === "close") close = true;
  return { headers: block, status, framing, close, keepAliveMs };
}

/** Parses the header lines of `text` from `from` (just after the start line). */
function parseHeaderBlock(text: string, from: number): HeaderBlock | undefined {
  PLAIN_HEADER_LINES.lastIndex = from;
  if (!PLAIN_HEADER_LINES.test(text) || PLAIN_HEADER_LINES.lastIndex !== text.length) return undefined;
  const rawHeaders: string[] = [];
  const lineStarts: number[] = [];
  const contentLengths: string[] = [];
  const transferEncodings: string[] = [];
  const connectionTokens: string[] = [];
  let needsRewrite = false;
  const last = text.length - 2; // the blank line's CRLF
  let at = from;
  while (at < last) {
    // PLAIN_HEADER_LINES vouched for every line: a token, a colon, a value of no control character but HTAB.
    const eol = text.indexOf("\r\n", at);
    const colon = text.indexOf(":", at);
    const name = text.slice(at, colon);
    // The value without the whitespace around it (SP and HTAB), sliced once.
    let valueStart = colon + 1;
    let valueEnd = eol;
    while (valueStart < valueEnd && isBlank(text.charCodeAt(valueStart))) valueStart++;
    while (valueEnd > valueStart && isBlank(text.charCodeAt(valueEnd - 1))) valueEnd--;
    const value = text.slice(valueStart, valueEnd);
    rawHeaders.push(name, value);
    lineStarts.push(at);
    switch (name.length) {
      case 7:
      case 16:
        if (HOP_BY_HOP.has(name.toLowerCase())) needsRewrite = true;
        break;
      case 10: {
        const lower = name.toLowerCase();
        if (lower === "keep-alive") needsRewrite = true;
        else if (lower === "connection") {
          for (const token of value.split(",")) {
            const t = token.trim().toLowerCase();
            if (t === "keep-alive") continue;
            needsRewrite = true;
            if (t !== "" && !HOP_BY_HOP.has(t)) connectionTokens.push(t);
          }
        }
        break;
      }
      case 14:
        if (name.toLowerCase() === "content-length") contentLengths.push(value);
        break;
      case 17:
        if (name.toLowerCase() === "transfer-encoding") transferEncodings.push(value);
        break;
    }
    at = eol + 2;
  }
  if (connectionTokens.length > 0) {
    // Headers the Connection header names are hop-by-hop too; they are dropped, so a
    // Content-Length or Transfer-Encoding named there would change framing: not plain.
    if (connectionTokens.includes("content-length") || connectionTokens.includes("transfer-encoding")) return undefined;
  }
  return { rawHeaders, lineStarts, length: text.length, connectionTokens, contentLengths, transferEncodings, needsRewrite };
}

/** SP or HTAB: what surrounds a header value (RFC 9110 §5.5 OWS). */
function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function singleContentLength(values: readonly string[]): number | undefined {
  const first = values[0] as string;
  if (!CONTENT_LENGTH.test(first) || values.some((v) => v !== first)) return undefined;
  return Number(first);
}

function hasToken(value: string, token: string): boolean {
  if (!value.includes(",")) return value.toLowerCase() === token;
  for (const t of value.split(",")) if (t.trim().toLowerCase() === token) return true;
  return false;
}

/** The three-digit status code of a status line, or -1. */
function statusCode(text: string): number {
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9 || (i === 9 && digit === 0)) return -1;
    code = code * 10 + digit;
  }
  return code;
}

/**
 * The head to forward: `buf[start, start + block.length)` without its hop-by-hop lines
 * (and those the Connection header names), with `extra` header lines (CRLF-terminated)
 * added before the blank line. When nothing needs removing and nothing is added, the
 * original bytes are returned without a copy.
 */
export function forwardableHead(buf: Buffer, start: number, block: HeaderBlock, extra: string): Buffer {
  const end = start + block.length;
  if (!block.needsRewrite && extra === "") return buf.subarray(start, end);
  const kept: number[] = [];
  const raw = block.rawHeaders;
  const starts = block.lineStarts;
  let runStart = 0; // start of the current run of kept bytes, relative to the head
  for (let i = 0; i < starts.length; i++) {
    const name = (raw[2 * i] as string).toLowerCase();
    if (!HOP_BY_HOP.has(name) && !block.connectionTokens.includes(name)) continue;
    const lineStart = starts[i] as number;
    const lineEnd = i + 1 < starts.length ? (starts[i + 1] as number) : block.length - 2;
    kept.push(runStart, lineStart);
    runStart = lineEnd;
  }
  kept.push(runStart, block.length - 2);
  let size = 2 + extra.length;
  for (let i = 0; i < kept.length; i += 2) size += (kept[i + 1] as number) - (kept[i] as number);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < kept.length; i += 2) at += buf.copy(out, at, start + (kept[i] as number), start + (kept[i + 1] as number));
  at += out.write(extra, at, "latin1");
  out.write("\r\n", at, "latin1");
  return out;
}
