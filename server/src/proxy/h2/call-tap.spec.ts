import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CallTap, type TappedCall } from "./call-tap.js";
import { FrameFlag, FrameType } from "./frame-reader.js";

// Hand-made frames for what real peers rarely produce on demand (resets, GOAWAY, bytes
// that are not HPACK). Real clients and servers drive the tap in grpc-proxy.spec.ts.

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

function frame(type: number, flags: number, streamId: number, payload: number[] | Buffer = []): Buffer {
  const body = Buffer.from(payload);
  const head = Buffer.alloc(9);
  head.writeUIntBE(body.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, body]);
}

/** :method POST, :scheme http, :path / (static table), content-type application/grpc (literal, not indexed). */
const GRPC_REQUEST = [0x83, 0x86, 0x84, 0x0f, 0x10, 0x10, ...Buffer.from("application/grpc")];
/** :status 200 (static table) */
const STATUS_200 = [0x88];
const u32 = (n: number): number[] => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

function recordingTap(): { tap: CallTap<number>; completed: [TappedCall, number, number, string][] } {
  const completed: [TappedCall, number, number, string][] = [];
  let started = 0;
  const tap = new CallTap<number>(
    { maxMessages: 10, maxMessageBytes: 1024, maxTotalBytes: 1024 },
    {
      started: () => ++started,
      completed: (call, context, status, message) => completed.push([call, context, status, message]),
    },
  );
  return { tap, completed };
}

describe("CallTap", () => {
  it("reports a source's RST_STREAM as a cancel and a target's as UNAVAILABLE before headers", () => {
    const { tap, completed } = recordingTap();
    const END = FrameFlag.END_HEADERS;
    tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, END, 1, GRPC_REQUEST), frame(FrameType.HEADERS, END, 3, GRPC_REQUEST)]));
    assert.equal(tap.openCalls, 2);
    tap.fromSource(frame(FrameType.RST_STREAM, 0, 1, u32(8)));
    tap.fromTarget(frame(FrameType.RST_STREAM, 0, 3, u32(2)));
    assert.deepEqual(
      completed.map(([call, context, status, message]) => [call.streamId, call.path, call.isGrpc, context, status, message]),
      [
        [1, "/", true, 1, 1, "cancelled by the source"],
        [3, "/", true, 2, 14, "rig proxy: target reset the stream (HTTP/2 error 2)"],
      ],
    );
    assert.equal(tap.openCalls, 0);
  });

  it("reads request trailers on a call the target already ended as trailers, not a new call", () => {
    const { tap, completed } = recordingTap();
    const END = FrameFlag.END_HEADERS;
    tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, END, 1, GRPC_REQUEST)]));
    const trailersOnly = [...STATUS_200, 0x00, 0x0b, ...Buffer.from("grpc-status"), 0x01, 0x30];
    tap.fromTarget(frame(FrameType.HEADERS, END | FrameFlag.END_STREAM, 1, trailersOnly));
    tap.fromSource(frame(FrameType.HEADERS, END | FrameFlag.END_STREAM, 1, [0x40, 0x01, 0x78, 0x01, 0x79])); // x: y
    assert.equal(tap.openCalls, 0);
    tap.sourceClosed();
    assert.deepEqual(
      completed.map(([call, , status]) => [call.streamId, status]),
      [[1, 0]],
    );
  });

  it("drops streams a GOAWAY says the target never processed, without reporting them", () => {
    const { tap, completed } = recordingTap();
    const END = FrameFlag.END_HEADERS;
    tap.fromSource(PREFACE);
    for (const id of [1, 3, 5]) tap.fromSource(frame(FrameType.HEADERS, END | FrameFlag.END_STREAM, id, GRPC_REQUEST));
    tap.fromTarget(frame(FrameType.GOAWAY, 0, 0, [...u32(1), ...u32(0)]));
    assert.equal(tap.openCalls, 1);
    // Stream 1 still gets its answer: a trailers-only status.
    const trailersOnly = [...STATUS_200, 0x00, 0x0b, ...Buffer.from("grpc-status"), 0x01, 0x30];
    tap.fromTarget(frame(FrameType.HEADERS, END | FrameFlag.END_STREAM, 1, trailersOnly));
    assert.deepEqual(
      completed.map(([call, , status, message]) => [call.streamId, status, message]),
      [[1, 0, ""]],
    );
  });

  it("reports a plain HTTP/2 answer by its status, and a gRPC one without grpc-status as UNKNOWN", () => {
    const { tap, completed } = recordingTap();
    const END = FrameFlag.END_HEADERS;
    const plainRequest = [0x82, 0x86, 0x84]; // GET http /
    tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, END, 1, plainRequest), frame(FrameType.HEADERS, END, 3, GRPC_REQUEST)]));
    for (const id of [1, 3]) {
      tap.fromTarget(frame(FrameType.HEADERS, END, id, STATUS_200));
      tap.fromTarget(frame(FrameType.DATA, FrameFlag.END_STREAM, id, [0, 0, 0, 0, 0]));
    }
    assert.deepEqual(
      completed.map(([call, , status, message]) => [call.streamId, call.isGrpc, status, message]),
      [
        [1, false, 0, "HTTP 200"],
        [3, true, 2, "target answered HTTP 200 without grpc-status"],
      ],
    );
    assert.equal(completed[1]?.[0].responses.count, 1, "the empty message was parsed");
  });

  it("stops recording, never throwing, on bytes it cannot read, and ends the open calls saying why", () => {
    const { tap, completed } = recordingTap();
    const END = FrameFlag.END_HEADERS;
    tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, END, 1, GRPC_REQUEST)]));
    // index 62 names a dynamic table entry that does not exist
    tap.fromSource(frame(FrameType.HEADERS, END, 3, [0xbe]));
    assert.deepEqual(
      completed.map(([call, , status, message]) => [call.streamId, status, message]),
      [[1, 2, "rig proxy lost track of this connection: index 62 is past the dynamic table (0 entries)"]],
    );
    // Later bytes, readable or not, are ignored: the proxy forwards them regardless.
    tap.fromSource(frame(FrameType.HEADERS, END, 5, GRPC_REQUEST));
    tap.fromTarget(Buffer.from("not http/2 at all"));
    tap.targetClosed();
    assert.equal(completed.length, 1);
    assert.equal(tap.openCalls, 0);
  });

  it("keeps a header block split over CONTINUATION frames intact when the chunks it came in are reused", () => {
    const { tap, completed } = recordingTap();
    // The request's fields in three frames, each its own chunk, each chunk overwritten
    // once the tap returns (as a forwarded buffer may be): only copies survive.
    const pieces = [GRPC_REQUEST.slice(0, 2), GRPC_REQUEST.slice(2, 6), GRPC_REQUEST.slice(6)];
    const chunks = [
      Buffer.concat([PREFACE, frame(FrameType.HEADERS, 0, 1, pieces[0])]),
      frame(FrameType.CONTINUATION, 0, 1, pieces[1]),
      frame(FrameType.CONTINUATION, FrameFlag.END_HEADERS, 1, pieces[2]),
    ];
    for (const chunk of chunks) {
      tap.fromSource(chunk);
      chunk.fill(0xff);
    }
    assert.equal(tap.openCalls, 1);
    tap.fromTarget(frame(FrameType.RST_STREAM, 0, 1, u32(0)));
    const call = completed[0]?.[0];
    assert.equal(call?.path, "/");
    assert.equal(call?.requestHeaders["content-type"], "application/grpc");
    assert.equal(call?.isGrpc, true);
  });

  it("reads a headers frame split over chunks at any byte, the chunks reused after each push", () => {
    const bytes = Buffer.concat([PREFACE, frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, GRPC_REQUEST)]);
    for (let cut = 1; cut < bytes.length; cut++) {
      const { tap, completed } = recordingTap();
      for (const chunk of [Buffer.from(bytes.subarray(0, cut)), Buffer.from(bytes.subarray(cut))]) {
        tap.fromSource(chunk);
        chunk.fill(0xff);
      }
      tap.fromTarget(frame(FrameType.RST_STREAM, 0, 1, u32(0)));
      assert.equal(completed[0]?.[0].requestHeaders["content-type"], "application/grpc", `cut at ${cut}`);
    }
  });

  it("takes header names like __proto__, constructor and toString as plain headers", () => {
    const { tap, completed } = recordingTap();
    const literal = (name: string, value: string): number[] => [0x00, name.length, ...Buffer.from(name), value.length, ...Buffer.from(value)];
    const fields = [...GRPC_REQUEST, ...literal("__proto__", "p"), ...literal("constructor", "c"), ...literal("toString", "t")];
    tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, fields)]));
    tap.fromTarget(frame(FrameType.RST_STREAM, 0, 1, u32(0)));
    const headers = completed[0]?.[0].requestHeaders as Record<string, unknown>;
    assert.equal(headers["__proto__"], "p");
    assert.equal(headers["constructor"], "c");
    assert.equal(headers["toString"], "t");
    assert.equal(headers["hasOwnProperty"], undefined, "nothing inherited");
    assert.deepEqual(Object.keys(headers), [":method", ":scheme", ":path", "content-type", "__proto__", "constructor", "toString"]);
  });

  it("rejects a CONTINUATION that continues nothing as lost track", () => {
    const { tap, completed } = recordingTap();
    tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, GRPC_REQUEST)]));
    tap.fromSource(frame(FrameType.CONTINUATION, FrameFlag.END_HEADERS, 1, [0x82]));
    assert.match(completed[0]?.[3] ?? "", /lost track of this connection: CONTINUATION on stream 1 without a header block/);
  });

  it("ends open calls when a side closes: the source's as cancelled, the target's as UNAVAILABLE", () => {
    const source = recordingTap();
    source.tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, GRPC_REQUEST)]));
    source.tap.sourceClosed();
    source.tap.targetClosed("ECONNRESET");
    const target = recordingTap();
    target.tap.fromSource(Buffer.concat([PREFACE, frame(FrameType.HEADERS, FrameFlag.END_HEADERS, 1, GRPC_REQUEST)]));
    target.tap.targetClosed("read ECONNRESET");
    assert.deepEqual(
      [...source.completed, ...target.completed].map(([, , status, message]) => [status, message]),
      [
        [1, "cancelled by the source: connection closed"],
        [14, "rig proxy: target closed the connection: read ECONNRESET"],
      ],
    );
  });
});
