import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { after, before, describe, it } from "node:test";
import { startHttpProxy } from "./http-proxy.js";
import type { RunningProxy } from "./proxy-contract.js";
import { EventCollector } from "./testdata/event-collector.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** The target: routes by path to handlers the tests set. */
class Target {
  readonly server: Server;
  readonly routes = new Map<string, Handler>();
  connections = 0;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      const handler = this.routes.get(new URL(req.url ?? "/", "http://x").pathname);
      if (handler) return handler(req, res);
      res.writeHead(404, { "x-missing": "yes" }).end("nothing here");
    });
    this.server.on("connection", () => this.connections++);
    this.server.on("upgrade", websocketEcho);
  }

  async start(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    const address = this.server.address();
    this.port = typeof address === "object" && address ? address.port : 0;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** A minimal websocket server: echoes each text frame as "echo: <text>". */
function websocketEcho(req: IncomingMessage, socket: Duplex): void {
  const accept = createHash("sha1")
    .update(`${req.headers["sec-websocket-key"]}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
    .digest("base64");
  socket.write(
    `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
  );
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    // Small client frames only: FIN+opcode, MASK+length(<126), 4-byte mask, payload.
    while (pending.length >= 6) {
      const opcode = (pending[0] as number) & 0x0f;
      const length = (pending[1] as number) & 0x7f;
      if (pending.length < 6 + length) return;
      const mask = pending.subarray(2, 6);
      const payload = Buffer.from(pending.subarray(6, 6 + length).map((b, i) => b ^ (mask[i % 4] as number)));
      pending = pending.subarray(6 + length);
      if (opcode === 8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      const reply = Buffer.from(`echo: ${payload.toString()}`);
      socket.write(Buffer.concat([Buffer.from([0x81, reply.length]), reply]));
    }
  });
  socket.on("error", () => socket.destroy());
}

/** Sends a request through the proxy and collects the response. */
function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; agent?: import("node:http").Agent },
): Promise<{ status: number; headers: IncomingMessage["headers"]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

describe("HTTP proxy", () => {
  const target = new Target();
  const events = new EventCollector();
  let proxy: RunningProxy;

  before(async () => {
    await target.start();
    proxy = await startHttpProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: target.port },
      edge: { source: "web", target: "api", ingress: "default" },
      onEvent: events.onEvent,
    });
  });
  after(async () => {
    await proxy.close();
    target.close();
  });

  it("forwards method, path, headers and bodies and records them", async () => {
    target.routes.set("/orders", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(201, { "content-type": "application/json", "x-seen-header": String(req.headers["x-request-id"]) });
        res.end(JSON.stringify({ got: JSON.parse(Buffer.concat(chunks).toString()), method: req.method, url: req.url }));
      });
    });
    const res = await send(proxy.port, {
      method: "POST",
      path: "/orders?limit=2",
      headers: { "content-type": "application/json", "x-request-id": "r-42" },
      body: JSON.stringify({ item: "book" }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers["x-seen-header"], "r-42");
    assert.deepEqual(JSON.parse(res.body.toString()), { got: { item: "book" }, method: "POST", url: "/orders?limit=2" });

    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/orders?limit=2");
    assert.ok(event);
    assert.deepEqual([event.source, event.target, event.ingress], ["web", "api", "default"]);
    assert.equal(event.method, "POST");
    assert.equal(event.status, 201);
    assert.equal(event.error, "");
    assert.ok(event.latency);
    assert.ok(event.requestHeaders.some((h) => h.name.toLowerCase() === "x-request-id" && h.value === "r-42"));
    assert.ok(event.responseHeaders.some((h) => h.name.toLowerCase() === "x-seen-header" && h.value === "r-42"));
    assert.equal(Buffer.from(event.requestBody).toString(), JSON.stringify({ item: "book" }));
    assert.equal(JSON.parse(Buffer.from(event.responseBody).toString()).method, "POST");
    assert.equal(event.requestBodyTruncated, false);
    assert.equal(event.requestSize, BigInt(JSON.stringify({ item: "book" }).length));
    assert.equal(event.responseSize, BigInt(res.body.length));
  });

  it("delivers a 1 MiB body whole and records the first 64 KiB, marked truncated", async () => {
    target.routes.set("/upload", (req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      req.pipe(res);
    });
    const body = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = i % 251;
    const res = await send(proxy.port, { method: "PUT", path: "/upload", body });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(body), "the echoed body arrived whole");

    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/upload");
    assert.ok(event);
    assert.equal(event.requestBody.length, 64 * 1024);
    assert.equal(event.responseBody.length, 64 * 1024);
    assert.ok(Buffer.from(event.requestBody).equals(body.subarray(0, 64 * 1024)));
    assert.equal(event.requestBodyTruncated, true);
    assert.equal(event.responseBodyTruncated, true);
    assert.equal(event.requestSize, BigInt(body.length));
    assert.equal(event.responseSize, BigInt(body.length));
  });

  it("streams a response without waiting for its end", async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    target.routes.set("/stream", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("first;");
      void released.then(() => res.end("second"));
    });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: proxy.port, path: "/stream" }, (res) => {
        let seen = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          seen += chunk;
          // The target only finishes once the first part came through the proxy.
          if (seen === "first;") release();
        });
        res.on("end", () => resolve(seen));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(text, "first;second");
  });

  // A proxy holding a request body until its end stalls this exchange: the timeout fails it.
  it("streams a request body in turns: each part sent once the echo of the one before came back", { timeout: 10_000 }, async () => {
    target.routes.set("/echo-turns", (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      req.on("data", (chunk: Buffer) => res.write(chunk));
      req.on("end", () => res.end());
    });
    const parts = ["one;", "two;", "three;"];
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: proxy.port, method: "POST", path: "/echo-turns", headers: { "transfer-encoding": "chunked" } });
      let sent = 0;
      const sendNext = (): void => {
        if (sent === parts.length) req.end();
        else req.write(parts[sent++]);
      };
      req.on("response", (res) => {
        let seen = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          seen += chunk;
          if (seen === parts.slice(0, sent).join("")) sendNext();
        });
        res.on("end", () => resolve(seen));
        res.on("error", reject);
      });
      req.on("error", reject);
      sendNext();
    });
    assert.equal(text, "one;two;three;");
    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/echo-turns");
    assert.ok(event);
    assert.equal(Buffer.from(event.requestBody).toString(), "one;two;three;");
  });

  it("passes statuses through and reuses upstream connections", async () => {
    target.routes.set("/ping", (_req, res) => res.end("pong"));
    const before = target.connections;
    for (let i = 0; i < 10; i++) assert.equal((await send(proxy.port, { path: "/ping" })).body.toString(), "pong");
    assert.ok(target.connections - before <= 1, `upstream connections opened: ${target.connections - before}`);

    const missing = await send(proxy.port, { path: "/absent" });
    assert.equal(missing.status, 404);
    assert.equal(missing.headers["x-missing"], "yes");
    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/absent");
    assert.equal(event?.status, 404);
    assert.equal(Buffer.from(event?.responseBody ?? []).toString(), "nothing here");
  });

  it("passes a websocket upgrade through", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/chat`);
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => {
        ws.send("one");
        ws.send("two");
      });
      ws.addEventListener("message", (m) => {
        replies.push(String(m.data));
        if (replies.length === 2) resolve();
      });
      ws.addEventListener("error", () => reject(new Error("websocket failed")));
    });
    const closed = new Promise((resolve) => ws.addEventListener("close", resolve));
    ws.close();
    await closed;
    assert.deepEqual(replies, ["echo: one", "echo: two"]);
    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/chat");
    assert.equal(event?.status, 101);
    assert.ok(event?.requestHeaders.some((h) => h.name.toLowerCase() === "upgrade" && h.value === "websocket"));
  });

  it("answers 502 and records the error when the target is down", async () => {
    const down = await startHttpProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: 1 },
      edge: { source: "web", target: "gone", ingress: "default" },
      onEvent: events.onEvent,
    });
    try {
      const res = await send(down.port, { path: "/anything" });
      assert.equal(res.status, 502);
      assert.match(res.body.toString(), /rig proxy: cannot reach/);
      const [event] = await events.waitFor("requestCompleted", (e) => e.target === "gone");
      assert.equal(event?.status, 502);
      assert.match(event?.error ?? "", /ECONNREFUSED/);
    } finally {
      await down.close();
    }
  });
});
