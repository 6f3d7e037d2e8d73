/**
 * Binary request messages checked before Connect parses them. connect-es (2.2) reports a
 * message it cannot parse as INTERNAL ("parse binary: premature EOF"): a bug of rigd's,
 * where the caller sent bad bytes. Each message is parsed here first, with the same
 * `fromBinary` Connect uses (so nothing Connect would accept is refused), and a message
 * that does not parse ends the request body with INVALID_ARGUMENT naming the method and
 * the message type. Connect reports an error raised while it reads the body as is, in
 * every protocol (Connect, gRPC, gRPC-Web; unary and streams).
 *
 * JSON requests that do not parse are INVALID_ARGUMENT already, but name at most a field's
 * declaration; they get the path in the request (json-problem.ts). Compressed messages are
 * left to Connect, and so is a body past the request size limit, which Connect refuses.
 */
import { fromBinary, type DescMethod, type JsonValue } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import type { UniversalServerRequest } from "@connectrpc/connect/protocol";
import { jsonProblem } from "./json-problem.js";

/** Content types whose body is one unenveloped message (Connect unary). */
const UNARY = /^application\/(proto|json)(;|$)/i;
/** Content types whose body is enveloped messages (gRPC, gRPC-Web, Connect streams). */
const ENVELOPED = /^application\/(grpc(-web)?(\+(proto|json))?|connect\+(proto|json))(;|$)/i;

type Format = "binary" | "json";
/** Envelope flags: compressed (bit 0) and end-stream / trailer (bit 1, never sent by clients). */
const FLAGS_UNCHECKED = 0b11;

/** The request with a body that raises INVALID_ARGUMENT at the first message that does not parse. */
export function checkedRequest(request: UniversalServerRequest, method: DescMethod, maxBytes: number): UniversalServerRequest {
  const body = request.body;
  if (!isByteStream(body)) return request;
  const type = request.header.get("content-type") ?? "";
  const format: Format = /json(;|$)/i.test(type) ? "json" : "binary";
  const encoding = request.header.get("content-encoding");
  if (UNARY.test(type) && (!encoding || encoding === "identity")) {
    return { ...request, body: checkedWhole(body, method, maxBytes, format) };
  }
  if (ENVELOPED.test(type)) return { ...request, body: checkedEnvelopes(body, method, maxBytes, format) };
  return request;
}

function isByteStream(body: unknown): body is AsyncIterable<Uint8Array> {
  return typeof body === "object" && body !== null && Symbol.asyncIterator in body;
}

/** A Connect unary body: the whole of it is one message. */
async function* checkedWhole(body: AsyncIterable<Uint8Array>, method: DescMethod, maxBytes: number, format: Format): AsyncGenerator<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.byteLength;
    if (size > maxBytes) {
      // Too big to check; Connect refuses it by its own limit.
      yield* chunks;
      for await (const rest of body) yield rest;
      return;
    }
  }
  const whole = Buffer.concat(chunks, size);
  check(whole, method, 1, format);
  yield whole;
}

/** An enveloped body: each message is checked as soon as it is complete, then passed on. */
async function* checkedEnvelopes(body: AsyncIterable<Uint8Array>, method: DescMethod, maxBytes: number, format: Format): AsyncGenerator<Uint8Array> {
  let pending: Buffer = Buffer.alloc(0);
  let n = 0;
  for await (const chunk of body) {
    pending = pending.byteLength ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let offset = 0;
    while (pending.byteLength - offset >= 5) {
      const flags = pending[offset]!;
      const length = pending.readUInt32BE(offset + 1);
      if (length > maxBytes) {
        // Too big to check; Connect refuses it by its own limit.
        yield pending.subarray(offset);
        for await (const rest of body) yield rest;
        return;
      }
      if (pending.byteLength - offset - 5 < length) break;
      n++;
      if ((flags & FLAGS_UNCHECKED) === 0) check(pending.subarray(offset + 5, offset + 5 + length), method, n, format);
      offset += 5 + length;
    }
    if (offset > 0) {
      yield pending.subarray(0, offset);
      pending = pending.subarray(offset);
    }
  }
  // A cut-off envelope: Connect says so itself ("premature end of stream", INVALID_ARGUMENT).
  if (pending.byteLength) yield pending;
}

function check(bytes: Uint8Array, method: DescMethod, n: number, format: Format): void {
  const which = method.methodKind === "unary" || method.methodKind === "server_streaming" ? "the request" : `request message ${n}`;
  if (format === "json") {
    let json: JsonValue;
    try {
      json = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8")) as JsonValue;
    } catch {
      return; // Not JSON at all: Connect says so itself.
    }
    const problem = jsonProblem(method.input, json);
    if (problem) {
      throw new ConnectError(
        `${method.parent.typeName}/${method.name}: ${which}${problem.path ? ` at ${problem.path}` : ""}: ${problem.message}`,
        Code.InvalidArgument,
      );
    }
    return;
  }
  try {
    fromBinary(method.input, bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new ConnectError(
      `${method.parent.typeName}/${method.name}: ${which} is not a valid ${method.input.typeName} in protobuf binary (${why}); ` +
        "send it from code generated from rig's protos (proto/rig/v1), or use grpcurl with server reflection",
      Code.InvalidArgument,
    );
  }
}
