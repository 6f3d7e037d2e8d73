import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GrpcMessageParser } from "./grpc-message-parser.js";

function frame(payload: Buffer, compressed = false): Buffer {
  const prefix = Buffer.alloc(5);
  prefix[0] = compressed ? 1 : 0;
  prefix.writeUInt32BE(payload.length, 1);
  return Buffer.concat([prefix, payload]);
}

const payloads = [Buffer.from("first"), Buffer.alloc(0), Buffer.from("x".repeat(300)), Buffer.from("last")];
const wire = Buffer.concat(payloads.map((p, i) => frame(p, i === 3)));

describe("gRPC message parser", () => {
  it("finds the same messages however the stream is chunked", () => {
    for (const size of [1, 2, 3, 5, 7, 64, wire.length]) {
      const parser = new GrpcMessageParser({ maxMessages: 10, maxMessageBytes: 1024, maxTotalBytes: 4096 });
      for (let i = 0; i < wire.length; i += size) parser.push(wire.subarray(i, i + size));
      assert.equal(parser.count, 4, `chunk size ${size}`);
      assert.equal(parser.bytes, wire.length);
      assert.equal(parser.partial, false);
      assert.deepEqual(
        parser.messages.map((m) => Buffer.from(m.payload ?? []).toString()),
        payloads.map((p) => p.toString()),
      );
      assert.deepEqual(
        parser.messages.map((m) => m.compressed),
        [false, false, false, true],
      );
    }
  });

  it("counts but does not keep messages over the limits", () => {
    const parser = new GrpcMessageParser({ maxMessages: 2, maxMessageBytes: 100, maxTotalBytes: 4096 });
    parser.push(wire);
    assert.equal(parser.count, 4);
    assert.equal(parser.skipped, 2, "the 300-byte message and the one after the first two kept");
    assert.deepEqual(
      parser.messages.map((m) => m.length),
      [5, 0],
    );
  });

  it("stops keeping messages once the kept payloads would pass maxTotalBytes, and counts the rest", () => {
    const parser = new GrpcMessageParser({ maxMessages: 10, maxMessageBytes: 1024, maxTotalBytes: 304 });
    parser.push(wire);
    assert.equal(parser.count, 4);
    assert.deepEqual(
      parser.messages.map((m) => m.length),
      [5, 0],
      "the 300-byte message would pass 304 bytes in all; none after it is kept (no gaps)",
    );
    assert.equal(parser.skipped, 2);
  });

  it("notices a stream cut inside a message", () => {
    const parser = new GrpcMessageParser({ maxMessages: 10, maxMessageBytes: 1024, maxTotalBytes: 4096 });
    parser.push(wire.subarray(0, 12));
    assert.equal(parser.count, 1);
    assert.equal(parser.partial, true);
  });
});
