import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { once } from "node:events";
import { createServer as createHttpServer } from "node:http";
import { connect as connectHttp2, constants, createServer as createHttp2Server, type ServerHttp2Stream } from "node:http2";
import { createServer } from "node:net";
import { gzipSync } from "node:zlib";
import { DescriptorCache } from "./descriptor-cache.js";
import { startGrpcProxy } from "./grpc-proxy.js";
import type { ProxyEdge, RunningProxy } from "./proxy-contract.js";
import { type EchoClient, type EchoServer, echoClient, startEchoServer } from "./testdata/echo-grpc.js";
import { EventCollector } from "./testdata/event-collector.js";

const edge: ProxyEdge = { source: "client", target: "api", ingress: "default" };

/** A proxy in front of `server`, decoding through `cache` under `key`. */
async function proxyFor(server: EchoServer, cache: DescriptorCache, key: string, events: EventCollector): Promise<RunningProxy> {
  return startGrpcProxy({
    listenPort: 0,
    target: { host: "127.0.0.1", port: server.port },
    edge,
    onEvent: events.onEvent,
    describe: (path) => cache.describe(key, server.address, path),
  });
}

const json = (values: readonly string[]): unknown[] => values.map((v) => JSON.parse(v) as unknown);

describe("gRPC proxy with reflection", () => {
  let server: EchoServer;
  let proxy: RunningProxy;
  let client: EchoClient;
  const events = new EventCollector();
  const cache = new DescriptorCache();

  before(async () => {
    server = await startEchoServer();
    proxy = await proxyFor(server, cache, "process:abc:default", events);
    client = echoClient(`127.0.0.1:${proxy.port}`);
  });
  after(async () => {
    client.close();
    await proxy.close();
    await server.close();
  });

  it("forwards a unary call and records it decoded, with metadata", async () => {
    const reply = await client.say(
      {
        text: "hi",
        repeat_count: 2,
        tags: { a: "1", b: "2" },
        mood: "MOOD_HAPPY",
        sent_at: { seconds: 1700000000, nanos: 0 },
        inner: { numbers: [1, 2], loud: true },
      },
      { "x-trace": "t-1" },
    );
    assert.equal(reply.text, "hihi");
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Say");
    assert.ok(event);
    assert.equal(event.grpcService, "rigtest.v1.Echo");
    assert.equal(event.source, "client");
    assert.equal(event.target, "api");
    assert.equal(event.statusCode, 0);
    assert.equal(event.decodeError, "");
    assert.equal(event.requestMessages, 1);
    assert.equal(event.responseMessages, 1);
    assert.ok(event.requestBytes > 5n && event.responseBytes > 5n);
    assert.deepEqual(json(event.requestJson), [
      {
        text: "hi",
        repeatCount: 2,
        tags: { a: "1", b: "2" },
        mood: "MOOD_HAPPY",
        sentAt: "2023-11-14T22:13:20Z",
        inner: { numbers: ["1", "2"], loud: true },
      },
    ]);
    assert.deepEqual(json(event.responseJson), [{ text: "hihi", length: 4 }]);
    assert.ok(event.requestMetadata.some((h) => h.name === "x-trace" && h.value === "t-1"));
    assert.ok(event.responseMetadata.some((h) => h.name === "grpc-status" && h.value === "0"));
  });

  it("forwards server streaming frame by frame", async () => {
    const ticks = await client.count({ count: 5, pad_bytes: 3 });
    assert.deepEqual(
      ticks.map((t) => t.index),
      [0, 1, 2, 3, 4],
    );
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Count");
    assert.ok(event);
    assert.equal(event.responseMessages, 5);
    assert.deepEqual(json(event.requestJson), [{ count: 5, padBytes: 3 }]);
    assert.deepEqual(
      json(event.responseJson),
      [0, 1, 2, 3, 4].map((i) => (i === 0 ? { pad: "YWFh" } : { index: i, pad: "YWFh" })),
    );
  });

  it("forwards client streaming", async () => {
    const reply = await client.sum([
      { value: 1, label: "one" },
      { value: 2, label: "two" },
      { value: 39, label: "many" },
    ]);
    assert.equal(reply.total, "42");
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Sum");
    assert.ok(event);
    assert.equal(event.requestMessages, 3);
    assert.deepEqual(json(event.requestJson), [
      { value: "1", label: "one" },
      { value: "2", label: "two" },
      { value: "39", label: "many" },
    ]);
    assert.deepEqual(json(event.responseJson), [{ total: "42", count: 3 }]);
  });

  it("forwards bidi streaming", async () => {
    const replies = await client.chat([
      { who: "ann", text: "hello" },
      { who: "bob", text: "bye" },
    ]);
    assert.deepEqual(
      replies.map((r) => r.text),
      ["ann said hello", "bob said bye"],
    );
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Chat");
    assert.ok(event);
    assert.deepEqual(json(event.requestJson), [
      { who: "ann", text: "hello" },
      { who: "bob", text: "bye" },
    ]);
    assert.deepEqual(json(event.responseJson), [
      { who: "server", text: "ann said hello" },
      { who: "server", text: "bob said bye" },
    ]);
  });

  // A proxy holding either direction until the call ends stalls this chat: the timeout fails it.
  it("streams both ways while the call is open: a chat in turns, each line sent after the last reply", { timeout: 10_000 }, async () => {
    const lines = ["one", "two", "three", "four"].map((text) => ({ who: "ann", text }));
    const replies = await client.chatInTurns(lines);
    assert.deepEqual(
      replies.map((r) => r.text),
      lines.map((l) => `ann said ${l.text}`),
    );
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Chat" && e.requestMessages === 4);
    assert.ok(event);
    assert.equal(event.responseMessages, 4);
  });

  it("passes an error status and records it with its message", async () => {
    await assert.rejects(client.say({ text: "no such thing: ünïcode", fail_code: 5 }), (err: Error & { code?: number; details?: string }) => {
      assert.equal(err.code, 5);
      assert.equal(err.details, "no such thing: ünïcode");
      return true;
    });
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.statusCode === 5);
    assert.ok(event);
    assert.equal(event.statusMessage, "no such thing: ünïcode");
    assert.equal(event.responseMessages, 0);
    assert.deepEqual(json(event.requestJson), [{ text: "no such thing: ünïcode", failCode: 5 }]);
  });

  it("parses messages split across chunks and several per chunk", async () => {
    const big = "x".repeat(40_000);
    const reply = await client.say({ text: big });
    assert.equal(reply.text.length, 40_000);
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Say" && e.requestBytes > 40_000n);
    assert.ok(event);
    assert.deepEqual(json(event.requestJson), [{ text: big }]);

    const ticks = await client.count({ count: 150 });
    assert.equal(ticks.length, 150);
    const [many] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Count" && e.responseMessages === 150);
    assert.ok(many);
    assert.equal(many.responseJson.length, 100, "the first 100 messages are decoded");
    assert.deepEqual(JSON.parse(many.responseJson[99] as string), { index: 99 });
    assert.match(many.decodeError, /50 response message\(s\) not decoded/);
  });

  it("re-probes once for a method it does not know", async () => {
    const before = cache.probes;
    await assert.rejects(client.unknownMethod(), (err: Error & { code?: number }) => err.code === 12);
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Nope");
    assert.ok(event);
    assert.equal(event.statusCode, 12);
    assert.match(event.decodeError, /not in the target's reflection/);
    assert.equal(cache.probes, before + 1);
    await assert.rejects(client.unknownMethod());
    await events.waitFor("grpcCallCompleted", (e) => e.method === "Nope", 2);
    assert.equal(cache.probes, before + 1, "an unknown method is re-probed only once");
  });

  it("propagates a cancel from the source to the target", async () => {
    const cancelledBefore = server.cancelledCalls();
    const code = await client.countThenCancel({ count: 1_000_000, pad_bytes: 1000 }, 3);
    assert.equal(code, 1);
    const [event] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Count" && e.statusCode === 1);
    assert.ok(event);
    assert.ok(event.responseMessages >= 3);
    await waitUntil(() => server.cancelledCalls() > cancelledBefore, () => `cancelled calls: ${server.cancelledCalls()}`);
  });
});

describe("gRPC proxy edge cases", () => {
  it("decodes gzip-compressed requests", async () => {
    const server = await startEchoServer();
    const events = new EventCollector();
    const proxy = await proxyFor(server, new DescriptorCache(), "k", events);
    const client = echoClient(`127.0.0.1:${proxy.port}`, { gzip: true });
    try {
      const reply = await client.say({ text: "squeeze me ".repeat(50) });
      assert.equal(reply.length, 550);
      const [event] = await events.waitFor("grpcCallCompleted");
      assert.ok(event);
      assert.ok(event.requestMetadata.some((h) => h.name === "grpc-encoding" && h.value === "gzip"));
      assert.ok(event.requestBytes < 200n, `request was compressed on the wire (${event.requestBytes} bytes)`);
      assert.equal(event.decodeError, "");
      assert.deepEqual(json(event.requestJson), [{ text: "squeeze me ".repeat(50) }]);
      assert.deepEqual(json(event.responseJson), [{ text: "squeeze me ".repeat(50), length: 550 }]);
    } finally {
      client.close();
      await proxy.close();
      await server.close();
    }
  });

  // grpc-js servers never compress responses, so a hand-written HTTP/2 server plays the
  // target here; descriptors come from a real reflection server of the same service.
  it("decodes gzip responses written a byte per frame, and passes trailers-only answers", async () => {
    const reflecting = await startEchoServer();
    const raw = await startRawTarget((stream, path) => {
      if (path === "/rigtest.v1.Echo/Say") {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-encoding": "gzip" }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        // SayReply{text: "zipped", length: 6}, gzip-compressed, then framed.
        const payload = gzipSync(Buffer.from([0x0a, 6, ...Buffer.from("zipped"), 0x10, 6]));
        const frame = Buffer.concat([Buffer.from([1, 0, 0, 0, payload.length]), payload]);
        const writeNext = (i: number): void => {
          if (i === frame.length) return void stream.end();
          stream.write(frame.subarray(i, i + 1), () => writeNext(i + 1));
        };
        writeNext(0);
      } else {
        stream.respond(
          { ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": "go%20away" },
          { endStream: true },
        );
      }
    });
    const events = new EventCollector();
    const cache = new DescriptorCache();
    const proxy = await startGrpcProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: raw.port },
      edge,
      onEvent: events.onEvent,
      describe: (path) => cache.describe("echo", reflecting.address, path),
    });
    const client = echoClient(`127.0.0.1:${proxy.port}`);
    try {
      const reply = await client.say({ text: "ignored" });
      assert.deepEqual({ text: reply.text, length: reply.length }, { text: "zipped", length: 6 });
      const [said] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Say");
      assert.equal(said?.decodeError, "");
      assert.deepEqual(json(said?.responseJson ?? []), [{ text: "zipped", length: 6 }]);

      await assert.rejects(client.count({ count: 1 }), (err: Error & { code?: number; details?: string }) => {
        assert.equal(err.code, 7);
        assert.equal(err.details, "go away");
        return true;
      });
      const [denied] = await events.waitFor("grpcCallCompleted", (e) => e.method === "Count");
      assert.equal(denied?.statusCode, 7);
      assert.equal(denied?.statusMessage, "go away");
      assert.equal(denied?.responseMessages, 0);
    } finally {
      client.close();
      await proxy.close();
      await raw.close();
      await reflecting.close();
    }
  });

  it("proxies a server without reflection: sizes only, no error", async () => {
    const server = await startEchoServer({ reflection: false });
    const events = new EventCollector();
    const cache = new DescriptorCache();
    const proxy = await proxyFor(server, cache, "k", events);
    const client = echoClient(`127.0.0.1:${proxy.port}`);
    try {
      assert.equal((await client.say({ text: "plain" })).text, "plain");
      assert.equal((await client.count({ count: 3 })).length, 3);
      const calls = await events.waitFor("grpcCallCompleted", () => true, 2);
      for (const event of calls) {
        assert.equal(event.statusCode, 0);
        assert.deepEqual(event.requestJson, []);
        assert.deepEqual(event.responseJson, []);
        assert.ok(event.requestBytes > 0n && event.responseBytes > 0n);
        assert.match(event.decodeError, /no gRPC server reflection/);
      }
      assert.equal(calls[1]?.responseMessages, 3);
      assert.equal(cache.probes, 1, "a target without reflection is not probed again");
    } finally {
      client.close();
      await proxy.close();
      await server.close();
    }
  });

  it("passes plain HTTP/2 answers without trailers through", async () => {
    const raw = await startRawTarget((stream, path) => {
      stream.respond({ ":status": 200, "content-type": "text/plain" });
      stream.end(`plain ${path}`);
    });
    const events = new EventCollector();
    const proxy = await startGrpcProxy({ listenPort: 0, target: { host: "127.0.0.1", port: raw.port }, edge, onEvent: events.onEvent });
    const session = connectHttp2(`http://127.0.0.1:${proxy.port}`);
    try {
      for (const path of ["/a", "/b"]) {
        const req = session.request({ ":path": path });
        req.setEncoding("utf8");
        let body = "";
        req.on("data", (chunk: string) => (body += chunk));
        const [headers] = (await once(req, "response")) as [Record<string, unknown>];
        await once(req, "end");
        assert.equal(headers[":status"], 200);
        assert.equal(body, `plain ${path}`);
      }
      const calls = await events.waitFor("grpcCallCompleted", () => true, 2);
      assert.deepEqual(
        calls.map((c) => [c.statusCode, c.statusMessage]),
        [
          [0, "HTTP 200"],
          [0, "HTTP 200"],
        ],
      );
    } finally {
      session.close();
      await proxy.close();
      await raw.close();
    }
  });

  it("forwards HTTP/1.1 requests on the same port as HTTP (gRPC-Web, Connect JSON)", async () => {
    const target = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(`{"path":"${req.url}"}`));
    });
    target.listen(0, "127.0.0.1");
    await once(target, "listening");
    const events = new EventCollector();
    const proxy = await startGrpcProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: (target.address() as { port: number }).port },
      edge,
      onEvent: events.onEvent,
    });
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.port}/rigtest.v1.Echo/Say`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ text: "over http/1.1" }),
      });
      assert.deepEqual(await res.json(), { path: "/rigtest.v1.Echo/Say" });
      const [event] = await events.waitFor("requestCompleted");
      assert.equal(event?.method, "POST");
      assert.equal(Buffer.from(event?.requestBody ?? []).toString(), JSON.stringify({ text: "over http/1.1" }));
    } finally {
      await proxy.close();
      target.close();
    }
  });

  it("follows padded frames, CONTINUATION blocks and a small header table, byte for byte", async () => {
    // nghttp2 pads every frame to the maximum and splits 40 KB header blocks into CONTINUATION frames.
    const big = (c: string): string => c.repeat(40_000);
    const message = (bytes: number): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0, bytes]), Buffer.alloc(bytes, 7)]);
    const peer = { paddingStrategy: constants.PADDING_STRATEGY_MAX, settings: { headerTableSize: 64 } };
    const raw = await startRawTarget((stream, path) => {
      stream.respond({ ":status": 200, "content-type": "application/grpc", "x-big": big("b"), "x-path": path }, { waitForTrailers: true });
      stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0", "grpc-message": "all%20good" }));
      stream.write(message(3));
      stream.end(message(4));
    }, peer);
    const events = new EventCollector();
    const proxy = await startGrpcProxy({ listenPort: 0, target: { host: "127.0.0.1", port: raw.port }, edge, onEvent: events.onEvent });
    const session = connectHttp2(`http://127.0.0.1:${proxy.port}`, peer);
    try {
      for (let i = 0; i < 3; i++) {
        const req = session.request({ ":method": "POST", ":path": `/pkg.Svc/M${i}`, "content-type": "application/grpc", "x-big-req": big("r") });
        req.end(message(5));
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        const [headers] = (await once(req, "response")) as [Record<string, unknown>];
        const [trailers] = (await once(req, "trailers")) as [Record<string, unknown>];
        assert.equal(headers["x-big"], big("b"));
        assert.equal(headers["x-path"], `/pkg.Svc/M${i}`);
        assert.deepEqual(Buffer.concat(chunks), Buffer.concat([message(3), message(4)]));
        assert.equal(trailers["grpc-message"], "all%20good");
      }
      const calls = await events.waitFor("grpcCallCompleted", () => true, 3);
      assert.deepEqual(
        calls.map((c) => [c.grpcService, c.method, c.statusCode, c.statusMessage, c.requestMessages, c.responseMessages, c.requestBytes, c.responseBytes]),
        [0, 1, 2].map((i) => ["pkg.Svc", `M${i}`, 0, "all good", 1, 2, 10n, 17n]),
      );
      for (const call of calls) {
        assert.equal(call.requestMetadata.find((h) => h.name === "x-big-req")?.value, big("r"));
        assert.equal(call.responseMetadata.find((h) => h.name === "x-big")?.value, big("b"));
      }
    } finally {
      session.close();
      await proxy.close();
      await raw.close();
    }
  });

  it("records a reset from the target and calls cut off when the target drops the connection", async () => {
    const raw = await startRawTarget((stream, path) => {
      stream.on("error", () => {}); // the reset it sends itself
      if (path.endsWith("/Reset")) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
      else stream.session?.destroy();
    });
    const events = new EventCollector();
    const proxy = await startGrpcProxy({ listenPort: 0, target: { host: "127.0.0.1", port: raw.port }, edge, onEvent: events.onEvent });
    const call = async (path: string): Promise<void> => {
      const session = connectHttp2(`http://127.0.0.1:${proxy.port}`);
      session.on("error", () => {});
      const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc" });
      req.on("error", () => {}); // the reset or the dropped connection, expected
      req.end();
      await new Promise((resolve) => req.on("close", resolve));
      session.destroy();
    };
    try {
      await call("/pkg.Svc/Reset");
      await call("/pkg.Svc/Drop");
      const calls = await events.waitFor("grpcCallCompleted", () => true, 2);
      assert.deepEqual(
        calls.map((c) => [c.method, c.statusCode, c.statusMessage]),
        [
          ["Reset", 14, "rig proxy: target reset the stream (HTTP/2 error 2)"],
          ["Drop", 14, "rig proxy: target closed the connection"],
        ],
      );
    } finally {
      await proxy.close();
      await raw.close();
    }
  });

  it("after answering UNAVAILABLE, reaches the target once it is up, on the same client", async () => {
    const port = await freePort();
    const events = new EventCollector();
    const proxy = await startGrpcProxy({ listenPort: 0, target: { host: "127.0.0.1", port }, edge, onEvent: events.onEvent });
    const client = echoClient(`127.0.0.1:${proxy.port}`);
    let server: EchoServer | undefined;
    try {
      await assert.rejects(client.say({ text: "early" }), (err: Error & { code?: number }) => err.code === 14);
      server = await startEchoServer({ port });
      // The answerer closed that connection (GOAWAY): the client reconnects, through to the target.
      let reply: { text?: string } | undefined;
      const deadline = Date.now() + 10_000;
      while (!reply && Date.now() < deadline) {
        reply = await client.say({ text: "later" }).catch(() => undefined);
        if (!reply) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(reply?.text, "later");
      const [ok] = await events.waitFor("grpcCallCompleted", (e) => e.statusCode === 0);
      assert.equal(ok?.method, "Say");
    } finally {
      client.close();
      await proxy.close();
      await server?.close();
    }
  });

  it("answers UNAVAILABLE when the target is gone", async () => {
    const port = await freePort();
    const events = new EventCollector();
    const proxy = await startGrpcProxy({ listenPort: 0, target: { host: "127.0.0.1", port }, edge, onEvent: events.onEvent });
    const client = echoClient(`127.0.0.1:${proxy.port}`);
    try {
      await assert.rejects(client.say({ text: "anyone?" }), (err: Error & { code?: number; details?: string }) => {
        assert.equal(err.code, 14);
        assert.match(err.details ?? "", /^rig proxy: cannot reach target: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
        return true;
      });
      const [event] = await events.waitFor("grpcCallCompleted");
      assert.equal(event?.statusCode, 14);
      assert.match(event?.statusMessage ?? "", /^rig proxy: cannot reach target: connect ECONNREFUSED/);
    } finally {
      client.close();
      await proxy.close();
    }
  });
});

async function waitUntil(condition: () => boolean, describe: () => string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met in time: ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A port nothing listens on. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address ? address.port : 0;
}

/** An HTTP/2 server answering every stream with `handle` after reading the request. */
async function startRawTarget(
  handle: (stream: ServerHttp2Stream, path: string) => void,
  options: import("node:http2").ServerOptions = {},
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttp2Server(options);
  const sessions = new Set<import("node:http2").ServerHttp2Session>();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    stream.resume();
    stream.on("end", () => handle(stream, String(headers[":path"])));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
