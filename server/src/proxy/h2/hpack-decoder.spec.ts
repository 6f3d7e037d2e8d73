import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type IncomingHttpHeaders, type ServerHttp2Session } from "node:http2";
import { describe, it } from "node:test";
import { FrameFlag, FrameReader, FrameType } from "./frame-reader.js";
import { type HeaderField, HpackDecoder, HpackError } from "./hpack-decoder.js";
import { startRecordingRelay } from "./testdata/recording-relay.js";

/** Every printable ASCII character, so Huffman codes of all of them are exercised. */
const PRINTABLE = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join("");

/** Request header sets: repeated (indexed from the dynamic table), varied, and larger than a small table. */
function requestHeaders(i: number): Record<string, string | string[]> {
  return {
    ":path": `/rigtest.v1.Echo/Say?i=${i}`,
    "content-type": "application/grpc",
    // HTTP/2 drops values that start or end with a space; keep it inside.
    "x-printable": `<${PRINTABLE.slice(i % 20)}${PRINTABLE.slice(0, i % 20)}>`,
    "x-repeated": "same every time",
    "x-multi": ["one", `two-${i}`],
    ...(i % 3 === 0 ? { "x-large": "L".repeat(300 + i) } : {}),
  };
}

/** Flattens Node's headers object the way rawHeaders lists them: [name, value] pairs. */
function pairs(raw: readonly string[]): HeaderField[] {
  const out: HeaderField[] = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Reads the header blocks of one recorded direction, in order, decoded by one HpackDecoder. */
function decodeRecorded(chunks: readonly Buffer[], preface: boolean): HeaderField[][] {
  const decoder = new HpackDecoder();
  const blocks: HeaderField[][] = [];
  let pending: Buffer[] | undefined;
  const reader = new FrameReader(
    {
      data: () => {},
      dataEndStream: () => {},
      frame: (type, flags, _id, payload) => {
        if (type === FrameType.HEADERS) pending = [Buffer.from(payload)];
        else if (type === FrameType.CONTINUATION) pending?.push(Buffer.from(payload));
        else return;
        if (flags & FrameFlag.END_HEADERS) {
          blocks.push(decoder.decode(Buffer.concat(pending ?? [])));
          pending = undefined;
        }
      },
    },
    { preface },
  );
  for (const chunk of chunks) reader.push(chunk);
  return blocks;
}

/**
 * Runs `calls` requests through a recording relay to a node:http2 server whose decoder
 * table is `headerTableSize`, and returns what each side's nghttp2 decoded next to what
 * our decoder reads from the recorded bytes.
 */
async function roundTrip(calls: number, headerTableSize: number): Promise<{
  sent: HeaderField[][];
  decodedRequests: HeaderField[][];
  answered: HeaderField[][];
  decodedResponses: HeaderField[][];
}> {
  const sent: HeaderField[][] = [];
  const server = createServer({ settings: { headerTableSize } });
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (s) => sessions.add(s));
  server.on("stream", (stream, _headers, _flags, rawHeaders: string[]) => {
    sent.push(pairs(rawHeaders));
    stream.respond({ ":status": 200, "x-echo-printable": `<${PRINTABLE}>`, "x-n": String(sent.length), "set-cookie": ["a=1", "b=2"] });
    stream.end("ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const relay = await startRecordingRelay((server.address() as { port: number }).port);
  const client = connect(`http://127.0.0.1:${relay.port}`, { settings: { headerTableSize } });
  const answered: HeaderField[][] = [];
  try {
    for (let i = 0; i < calls; i++) {
      const req = client.request(requestHeaders(i));
      req.end();
      const [, , raw] = (await once(req, "response")) as [IncomingHttpHeaders, number, string[]];
      answered.push(pairs(raw));
      req.resume();
      await once(req, "end");
    }
  } finally {
    client.close();
    for (const s of sessions) s.destroy();
    server.close();
    await relay.close();
  }
  return {
    sent,
    decodedRequests: decodeRecorded(relay.fromClient, true),
    answered,
    decodedResponses: decodeRecorded(relay.fromServer, false),
  };
}

describe("HPACK decoder", () => {
  for (const tableSize of [4096, 256, 0]) {
    it(`reads exactly what nghttp2 encoded, both ways, with a ${tableSize}-byte table`, async () => {
      const { sent, decodedRequests, answered, decodedResponses } = await roundTrip(12, tableSize);
      assert.equal(sent.length, 12);
      // The fields that exercise every Huffman code reached the peers (nghttp2 drops invalid ones).
      assert.ok(sent.every((fields) => fields.some(([name]) => name === "x-printable")));
      assert.ok(answered.every((fields) => fields.some(([name]) => name === "x-echo-printable")));
      assert.deepEqual(decodedRequests, sent);
      assert.deepEqual(decodedResponses, answered);
    });
  }

  it("decodes the RFC 7541 C.4 examples and keeps the table size they state", () => {
    const decoder = new HpackDecoder();
    const hex = (s: string): Buffer => Buffer.from(s.replaceAll(" ", ""), "hex");
    assert.deepEqual(decoder.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff")), [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ]);
    assert.equal(decoder.tableSize, 57);
    assert.deepEqual(decoder.decode(hex("8286 84be 5886 a8eb 1064 9cbf")), [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ]);
    assert.equal(decoder.tableSize, 110);
    assert.deepEqual(decoder.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")), [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ]);
    assert.equal(decoder.tableSize, 164);
  });

  it("evicts on a table size update and rejects references past the table", () => {
    const decoder = new HpackDecoder();
    // literal with indexing, new name "a" / value "b" (no Huffman), then a size update to 0
    decoder.decode(Buffer.from([0x40, 0x01, 0x61, 0x01, 0x62]));
    assert.equal(decoder.tableSize, 34);
    assert.deepEqual(decoder.decode(Buffer.from([0xbe])), [["a", "b"]]);
    decoder.decode(Buffer.from([0x20]));
    assert.equal(decoder.tableSize, 0);
    assert.throws(() => decoder.decode(Buffer.from([0xbe])), /index 62 is past the dynamic table \(0 entries\)/);
  });

  const malformed: [string, number[], RegExp][] = [
    ["index 0", [0x80], /index 0 is not a header field/],
    ["a string running past the block", [0x40, 0x05, 0x61], /runs past the header block/],
    ["a block ending inside a field", [0x40], /ends in the middle of a field/],
    ["Huffman padding that is not all ones", [0x00, 0x01, 0x61, 0x81, 0x00], /invalid Huffman padding/],
    ["EOS inside a Huffman string", [0x00, 0x01, 0x61, 0x84, 0xff, 0xff, 0xff, 0xfc], /EOS inside/],
    ["a table size update over the bound", [0x3f, 0xe1, 0xff, 0xff, 0x07], /table size update/],
  ];
  for (const [what, bytes, message] of malformed) {
    it(`rejects ${what} with an HpackError`, () => {
      assert.throws(
        () => new HpackDecoder().decode(Buffer.from(bytes)),
        (err: Error) => err instanceof HpackError && message.test(err.message),
      );
    });
  }
});
