/**
 * Bad protobuf bytes are the caller's mistake: INVALID_ARGUMENT naming the method and
 * the message type, in every protocol rigd speaks (Connect unary and streams, gRPC,
 * gRPC-Web), for unary, server-streaming and bidi methods; never INTERNAL. Good binary
 * requests still work, also split across many small writes. Against a real rigd over
 * real sockets.
 */
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import { after, before, test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetEnvironmentRequestSchema } from "../gen/rig/v1/environment_service_pb.js";
import { startRigd, type Rigd } from "../testing/rigd-harness.js";

let rigd: Rigd;
before(async () => {
  rigd = await startRigd();
});
after(() => rigd.stop());

/** A length-delimited field 1 that claims 5 bytes and has 1: "premature EOF". */
const TRUNCATED = Uint8Array.of(0x0a, 0x05, 0x01);
/** Field 1 with wire type 7, which does not exist. */
const BAD_WIRE_TYPE = Uint8Array.of(0x0f, 0x00);

function envelope(payload: Uint8Array, flags = 0): Buffer {
  const head = Buffer.alloc(5);
  head[0] = flags;
  head.writeUInt32BE(payload.byteLength, 1);
  return Buffer.concat([head, payload]);
}

interface H2Result {
  status: number;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One h2c POST; `chunks` are written one by one (a message split across writes). */
function h2Post(path: string, contentType: string, chunks: Uint8Array[]): Promise<H2Result> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${rigd.address}`);
    session.on("error", reject);
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": contentType,
      te: "trailers",
      authorization: `Bearer ${rigd.token}`,
    });
    let headers: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const body: Buffer[] = [];
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (d: Buffer) => body.push(d));
    stream.on("end", () => {
      session.close();
      resolve({ status: Number(headers[":status"]), headers, trailers, body: Buffer.concat(body) });
    });
    stream.on("error", reject);
    for (const chunk of chunks) stream.write(chunk);
    stream.end();
  });
}

/** One HTTP/1.1 POST (Connect and gRPC-Web over HTTP/1.1, as browsers send them). */
function h1Post(path: string, contentType: string, body: Uint8Array): Promise<{ status: number; body: Buffer }> {
  const [host, port] = rigd.address.split(":");
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port: Number(port), path, method: "POST", headers: { "content-type": contentType, authorization: `Bearer ${rigd.token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

const CREATE = "/rig.v1.EnvironmentService/CreateEnvironment";
const GET = "/rig.v1.EnvironmentService/GetEnvironment";
const WATCH = "/rig.v1.EnvironmentService/WatchEvents";
const ACQUIRE = "/rig.v1.LockService/Acquire";

test("Connect unary: bad bytes are invalid_argument (HTTP 400) naming the method and the message type", async () => {
  for (const bytes of [TRUNCATED, BAD_WIRE_TYPE]) {
    const res = await h1Post(CREATE, "application/proto", bytes);
    assert.equal(res.status, 400, res.body.toString());
    const error = JSON.parse(res.body.toString()) as { code: string; message: string };
    assert.equal(error.code, "invalid_argument");
    assert.match(error.message, /rig\.v1\.EnvironmentService\/CreateEnvironment: the request is not a valid rig\.v1\.CreateEnvironmentRequest in protobuf binary/);
  }
});

test("gRPC unary and gRPC-Web: bad bytes are status 3 (INVALID_ARGUMENT)", async () => {
  const grpc = await h2Post(CREATE, "application/grpc", [envelope(TRUNCATED)]);
  assert.equal(grpc.trailers["grpc-status"] ?? grpc.headers["grpc-status"], "3");
  assert.match(decodeURIComponent(String(grpc.trailers["grpc-message"] ?? grpc.headers["grpc-message"])), /not a valid rig\.v1\.CreateEnvironmentRequest/);
  const web = await h1Post(CREATE, "application/grpc-web+proto", envelope(BAD_WIRE_TYPE));
  assert.equal(web.status, 200);
  assert.match(web.body.toString("latin1"), /grpc-status: ?3/);
});

test("streams: a bad request message of a server stream and of a bidi stream is INVALID_ARGUMENT", async () => {
  const watch = await h2Post(WATCH, "application/grpc", [envelope(TRUNCATED)]);
  assert.equal(watch.trailers["grpc-status"] ?? watch.headers["grpc-status"], "3");
  const connectStream = await h1Post(WATCH, "application/connect+proto", envelope(TRUNCATED));
  assert.match(connectStream.body.toString("latin1"), /"code":"invalid_argument"/);
  const acquire = await h2Post(ACQUIRE, "application/grpc", [envelope(BAD_WIRE_TYPE)]);
  assert.equal(acquire.trailers["grpc-status"] ?? acquire.headers["grpc-status"], "3");
  assert.match(decodeURIComponent(String(acquire.trailers["grpc-message"])), /rig\.v1\.LockService\/Acquire: request message 1 is not a valid rig\.v1\.AcquireRequest/);
});

test("good binary requests still work, also written a byte at a time", async () => {
  const request = toBinary(GetEnvironmentRequestSchema, create(GetEnvironmentRequestSchema, { environmentId: "env-nope" }));
  const whole = await h1Post(GET, "application/proto", request);
  assert.equal(JSON.parse(whole.body.toString()).code, "not_found");
  const framed = envelope(request);
  const bytewise = await h2Post(GET, "application/grpc", [...framed].map((b) => Uint8Array.of(b)));
  assert.equal(bytewise.trailers["grpc-status"] ?? bytewise.headers["grpc-status"], "5", "NOT_FOUND: the request was parsed");
  assert.equal(rigd.child.exitCode, null, "rigd still runs");
});

test("JSON that does not parse names the path in the request, and durations say how to write one", async () => {
  const post = async (spec: unknown): Promise<{ code: string; message: string }> => {
    const res = await h1Post(CREATE, "application/json", Buffer.from(JSON.stringify({ spec })));
    assert.equal(res.status, 400, res.body.toString());
    return JSON.parse(res.body.toString()) as { code: string; message: string };
  };
  const process = { command: "sleep", args: ["1"] };
  const ttl = await post({ name: "x", ttl: "1.0000000001s", services: [{ name: "a", process }] });
  assert.equal(ttl.code, "invalid_argument");
  assert.match(ttl.message, /the request at spec\.ttl: not a duration .*at most 9 digits after the point/);
  const grace = await post({ name: "x", services: [{ name: "a", process }, { name: "api", process: { ...process, stopGrace: "soon" } }] });
  assert.match(grace.message, /at spec\.services\[1\]\(api\)\.process\.stop_grace: not a duration/);
  const typo = await post({ name: "x", services: [{ name: "a", proces: process }] });
  assert.match(typo.message, /at spec\.services\[0\]\(a\): .*key "proces" is unknown/);
  const env = await post({ name: "x", services: [{ name: "a", process: { ...process, env: { A: 1 } } }] });
  assert.match(env.message, /at spec\.services\[0\]\(a\)\.process\.env/);
});
