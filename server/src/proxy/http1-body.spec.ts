import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BodyCapture } from "./body-capture.js";
import { BodyReader } from "./http1-body.js";
import type { BodyFraming } from "./http1-head.js";

/** Feeds `wire` (followed by `after`) in pieces cut at `cuts`; returns where the body ended and what was captured. */
function readInPieces(framing: BodyFraming, wire: string, cuts: number[], after = "NEXT"): { end: number; payload: string; reader: BodyReader } {
  const all = Buffer.from(wire + after, "latin1");
  const reader = new BodyReader(framing);
  const capture = new BodyCapture(1024);
  let offset = 0;
  let end = -1;
  const bounds = [...cuts, all.length];
  let from = 0;
  for (const to of bounds) {
    const piece = all.subarray(from, to);
    const used = reader.read(piece, 0, piece.length, capture);
    if (reader.done && end < 0) end = offset + used;
    offset += piece.length;
    from = to;
  }
  return { end, payload: Buffer.from(capture.bytes()).toString("latin1"), reader };
}

const CHUNKED = "5;name=value\r\nhello\r\n1A\r\n, and a few more bytes....\r\n0\r\nX-Trailer: yes\r\n\r\n";

describe("HTTP/1.1 body framing", () => {
  it("ends a Content-Length body after its bytes", () => {
    const { end, payload } = readInPieces({ kind: "length", length: 5 }, "hello", [2]);
    assert.equal(end, 5);
    assert.equal(payload, "hello");
  });

  it("is done at once without a body", () => {
    const reader = new BodyReader({ kind: "none" });
    assert.equal(reader.done, true);
    assert.equal(reader.read(Buffer.from("GET"), 0, 3, new BodyCapture()), 0);
  });

  it("follows chunked framing (extensions, trailers) cut at every offset", () => {
    for (let cut = 0; cut <= CHUNKED.length; cut++) {
      const { end, payload, reader } = readInPieces({ kind: "chunked" }, CHUNKED, [cut]);
      assert.equal(reader.error, undefined, `cut at ${cut}`);
      assert.equal(end, CHUNKED.length, `cut at ${cut}`);
      assert.equal(payload, "hello, and a few more bytes....", `cut at ${cut}`);
    }
  });

  it("follows chunked framing fed a byte at a time", () => {
    const cuts = Array.from({ length: CHUNKED.length }, (_, i) => i + 1);
    const { end, payload } = readInPieces({ kind: "chunked" }, CHUNKED, cuts);
    assert.equal(end, CHUNKED.length);
    assert.equal(payload, "hello, and a few more bytes....");
  });

  it("reports malformed chunked framing", () => {
    for (const wire of ["x\r\n", "5\r\nhello!\r\n", "5\nhello\r\n", "12345678901234\r\n", "0\r\nX: y\n\r\n"]) {
      const { reader } = readInPieces({ kind: "chunked" }, wire, []);
      assert.ok(reader.error, JSON.stringify(wire));
      assert.equal(reader.done, false);
    }
  });

  it("never ends a body delimited by the connection's close", () => {
    const { end, reader } = readInPieces({ kind: "close" }, "all of it", [3]);
    assert.equal(end, -1);
    assert.equal(reader.done, false);
  });
});
