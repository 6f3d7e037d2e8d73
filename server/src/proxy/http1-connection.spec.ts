import assert from "node:assert/strict";
import { once } from "node:events";
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import { connect, createServer as createNetServer, type Server as NetServer, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { startHttpProxy } from "./http-proxy.js";
import type { RunningProxy } from "./proxy-contract.js";
import { EventCollector } from "./testdata/event-collector.js";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A node:http target routing by path; counts the connections it accepted and saw close. */
class Target {
  readonly server: Server;
  readonly routes = new Map<string, Handler>();
  readonly requests: IncomingMessage[] = [];
  connections = 0;
  closed = 0;
  port = 0;

  constructor() {
    this.server = createServer((req, res) => {
      this.requests.push(req);
      const handler = this.routes.get(new URL(req.url ?? "/", "http://x").pathname);
      if (handler) return handler(req, res);
      res.writeHead(404).end("nothing here");
    });
    this.server.on("connection", (socket: Socket) => {
      this.connections++;
      socket.on("close", () => this.closed++);
    });
  }

  async start(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as { port: number }).port;
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

/** A target speaking raw bytes: `script` gets each connection and the text of its first bytes. */
async function rawTarget(script: (socket: Socket, index: number) => void): Promise<{ port: number; server: NetServer }> {
  let index = 0;
  const server = createNetServer((socket) => {
    socket.on("error", () => socket.destroy());
    script(socket, index++);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as { port: number }).port, server };
}

/** Waits until `socket` has sent text containing `needle` (`count` times); resolves with all text so far. */
function readUntil(socket: Socket, seen: { text: string }, needle: string, count = 1): Promise<string> {
  const enough = (): boolean => seen.text.split(needle).length - 1 >= count;
  if (enough()) return Promise.resolve(seen.text);
  return new Promise((resolve, reject) => {
    const onData = (): void => {
      if (!enough()) return;
      cleanup();
      resolve(seen.text);
    };
    const onEnd = (): void => {
      cleanup();
      reject(new Error(`connection ended before ${JSON.stringify(needle)}; got ${JSON.stringify(seen.text)}`));
    };
    const cleanup = (): void => {
      socket.off("data", onData);
      socket.off("close", onEnd);
    };
    socket.on("data", onData);
    socket.on("close", onEnd);
  });
}

/** A client connection speaking raw bytes, accumulating what it receives as latin1 text. */
class RawClient {
  readonly socket: Socket;
  readonly seen = { text: "" };
  readonly closed: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.socket.setEncoding("latin1");
    this.socket.on("data", (chunk: string) => (this.seen.text += chunk));
    this.socket.on("error", () => {});
    this.closed = new Promise((resolve) => this.socket.once("close", () => resolve()));
  }

  send(text: string | Buffer): void {
    this.socket.write(text);
  }

  until(needle: string, count = 1): Promise<string> {
    return readUntil(this.socket, this.seen, needle, count);
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** Sends a request with the node:http client and collects the response. */
function send(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string | (Buffer | string)[]; agent?: Agent },
): Promise<{ status: number; headers: IncomingMessage["headers"]; trailers: IncomingMessage["trailers"]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, trailers: res.trailers, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (Array.isArray(options.body)) {
      for (const part of options.body) req.write(part);
      req.end();
    } else {
      req.end(options.body);
    }
  });
}

function patterned(size: number): Buffer {
  const body = Buffer.alloc(size);
  for (let i = 0; i < size; i++) body[i] = (i * 7) % 251;
  return body;
}

describe("HTTP proxy, raw HTTP/1.1 core", () => {
  const target = new Target();
  const events = new EventCollector();
  let proxy: RunningProxy;
  const extra: { close(): unknown }[] = [];

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
    for (const thing of extra) thing.close();
  });

  /** A proxy in front of another target; closed after the suite. */
  async function proxyTo(port: number, name: string): Promise<RunningProxy> {
    const p = await startHttpProxy({ listenPort: 0, target: { host: "127.0.0.1", port }, edge: { source: "web", target: name, ingress: "default" }, onEvent: events.onEvent });
    extra.push({ close: () => void p.close() });
    return p;
  }

  it("forwards chunked bodies both ways, trailers included, and records them decoded", async () => {
    target.routes.set("/chunked", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        res.writeHead(200, { "content-type": "text/plain", trailer: "x-digest" });
        res.write(`got ${Buffer.concat(chunks).toString()};`);
        res.write(` te=${req.headers["transfer-encoding"]}`);
        res.addTrailers({ "x-digest": "abc" });
        res.end();
      });
    });
    const res = await send(proxy.port, { method: "POST", path: "/chunked", headers: { "transfer-encoding": "chunked" }, body: ["one,", "two,", "three"] });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "got one,two,three; te=chunked");
    assert.equal(res.headers["transfer-encoding"], "chunked");
    assert.deepEqual(res.trailers, { "x-digest": "abc" });

    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/chunked");
    assert.equal(Buffer.from(event?.requestBody ?? []).toString(), "one,two,three");
    assert.equal(event?.requestSize, 13n);
    assert.equal(Buffer.from(event?.responseBody ?? []).toString(), "got one,two,three; te=chunked");
    assert.equal(event?.responseSize, BigInt(res.body.length));
  });

  it("streams 8 MiB each way whole, chunked up and by length down, capturing 64 KiB", async () => {
    const body = patterned(8 * 1024 * 1024);
    target.routes.set("/big", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const all = Buffer.concat(chunks);
        res.writeHead(200, { "content-length": all.length }).end(all);
      });
    });
    const parts = Array.from({ length: 32 }, (_, i) => body.subarray(i * 256 * 1024, (i + 1) * 256 * 1024));
    const res = await send(proxy.port, { method: "PUT", path: "/big", headers: { "transfer-encoding": "chunked" }, body: parts });
    assert.equal(res.status, 200);
    assert.ok(res.body.equals(body), "the echoed body arrived whole");
    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/big");
    assert.ok(event);
    assert.equal(event.requestSize, BigInt(body.length));
    assert.equal(event.responseSize, BigInt(body.length));
    assert.ok(Buffer.from(event.requestBody).equals(body.subarray(0, 64 * 1024)));
    assert.ok(Buffer.from(event.responseBody).equals(body.subarray(0, 64 * 1024)));
    assert.equal(event.requestBodyTruncated, true);
    assert.equal(event.responseBodyTruncated, true);
  });

  it("expects no body after HEAD, 204 and 304, and goes on on the same connection", async () => {
    target.routes.set("/head", (_req, res) => res.writeHead(200, { "content-length": "1234", "x-kind": "head" }).end());
    target.routes.set("/empty", (_req, res) => res.writeHead(204, { "x-kind": "204" }).end());
    target.routes.set("/same", (_req, res) => res.writeHead(304, { etag: '"v1"', "x-kind": "304" }).end());
    target.routes.set("/after", (_req, res) => res.end("after"));
    const client = new RawClient(proxy.port);
    try {
      client.send("HEAD /head HTTP/1.1\r\nHost: api\r\n\r\n");
      assert.match(await client.until("\r\n\r\n"), /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 1234/i);
      client.send("GET /empty HTTP/1.1\r\nHost: api\r\n\r\n");
      assert.match(await client.until("\r\n\r\n", 2), /HTTP\/1\.1 204 No Content/);
      client.send("GET /same HTTP/1.1\r\nHost: api\r\nIf-None-Match: \"v1\"\r\n\r\n");
      assert.match(await client.until("\r\n\r\n", 3), /HTTP\/1\.1 304 Not Modified/);
      client.send("GET /after HTTP/1.1\r\nHost: api\r\n\r\n");
      const text = await client.until("\r\n\r\nafter");
      assert.equal(text.split("HTTP/1.1 ").length - 1, 4, "four responses, no bodies before the last");
    } finally {
      client.destroy();
    }
    const recorded = await events.waitFor("requestCompleted", (e) => ["/head", "/empty", "/same"].includes(e.path), 3);
    assert.deepEqual(recorded.map((e) => [e.method, e.status, e.responseSize]), [["HEAD", 200, 0n], ["GET", 204, 0n], ["GET", 304, 0n]]);
  });

  it("keeps client and target connections alive and reuses them", async () => {
    target.routes.set("/ping", (_req, res) => res.end("pong"));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    let clientConnections = 0;
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = (...args: Parameters<typeof createConnection>) => {
      clientConnections++;
      return createConnection(...args);
    };
    try {
      await send(proxy.port, { path: "/ping", agent });
      const before = target.connections;
      for (let i = 0; i < 20; i++) {
        const res = await send(proxy.port, { path: "/ping", agent });
        assert.equal(res.body.toString(), "pong");
        assert.equal(res.headers.connection, undefined, "hop-by-hop headers of the target stay on its hop");
        assert.equal(res.headers["keep-alive"], undefined);
      }
      assert.equal(clientConnections, 1, "one client connection served every request");
      assert.equal(target.connections - before, 0, "no new target connection was needed");
    } finally {
      agent.destroy();
    }
  });

  it("closes the client connection after Connection: close, but keeps the target's", async () => {
    target.routes.set("/bye", (_req, res) => res.end("bye"));
    await send(proxy.port, { path: "/bye" }); // a warm target connection
    const before = target.connections;
    const client = new RawClient(proxy.port);
    client.send("GET /bye HTTP/1.1\r\nHost: api\r\nConnection: close\r\n\r\n");
    await client.closed;
    assert.match(client.seen.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(client.seen.text, /\r\nConnection: close\r\n/i);
    assert.ok(client.seen.text.endsWith("\r\n\r\nbye"));
    assert.ok(target.requests.at(-1)?.headers.connection !== "close", "the client's close stays on its hop");
    await send(proxy.port, { path: "/bye" });
    assert.equal(target.connections, before, "the target connection was reused");
  });

  it("answers over a new target connection after the target's Connection: close, keeping the client's", async () => {
    target.routes.set("/once", (_req, res) => res.writeHead(200, { connection: "close" }).end("once"));
    const client = new RawClient(proxy.port);
    try {
      client.send("GET /once HTTP/1.1\r\nHost: api\r\n\r\n");
      await client.until("once");
      const before = target.connections;
      client.send("GET /once HTTP/1.1\r\nHost: api\r\n\r\n");
      const text = await client.until("once", 2);
      assert.doesNotMatch(text, /connection: close/i);
      assert.equal(target.connections - before, 1, "the closed target connection was not reused");
    } finally {
      client.destroy();
    }
  });

  it("delivers an HTTP/1.0 body delimited by the target closing, then closes the client connection", async () => {
    const raw = await rawTarget((socket) => {
      socket.once("data", () => {
        socket.write("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil ");
        setImmediate(() => socket.end("the end"));
      });
    });
    extra.push(raw.server);
    const p = await proxyTo(raw.port, "closer");
    const client = new RawClient(p.port);
    client.send("GET /eof HTTP/1.1\r\nHost: closer\r\n\r\n");
    await client.closed;
    assert.match(client.seen.text, /^HTTP\/1\.1 200 OK\r\n/, "the proxy speaks its own version");
    assert.match(client.seen.text, /\r\nConnection: close\r\n/i);
    assert.ok(client.seen.text.endsWith("\r\n\r\nuntil the end"));
    const [event] = await events.waitFor("requestCompleted", (e) => e.target === "closer");
    assert.equal(Buffer.from(event?.responseBody ?? []).toString(), "until the end");
    assert.equal(event?.error, "");
  });

  it("waits for a slow target and forwards its body piece by piece", async () => {
    const pieces = ["slow", " but", " steady"];
    let next!: () => void;
    target.routes.set("/slow", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      let i = 0;
      next = () => {
        if (i < pieces.length) res.write(pieces[i++]);
        else res.end();
      };
      next();
    });
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: proxy.port, path: "/slow" }, (res) => {
        let seen = "";
        let sent = 1;
        res.setEncoding("utf8");
        // Each piece is sent (a little later) only once the ones before came through the proxy.
        res.on("data", (chunk: string) => {
          seen += chunk;
          if (seen === pieces.slice(0, sent).join("")) {
            sent++;
            setTimeout(next, 20);
          }
        });
        res.on("end", () => resolve(seen));
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(text, "slow but steady");
  });

  it("answers pipelined requests one after the other, in order", async () => {
    let first = true;
    target.routes.set("/pipe", (req, res) => {
      const n = new URL(req.url ?? "", "http://x").searchParams.get("n");
      // The first answer is late: the second request must still be answered after it.
      if (first) {
        first = false;
        setTimeout(() => res.end(`answer ${n};`), 30);
      } else {
        res.end(`answer ${n};`);
      }
    });
    const client = new RawClient(proxy.port);
    try {
      client.send("GET /pipe?n=1 HTTP/1.1\r\nHost: api\r\n\r\nGET /pipe?n=2 HTTP/1.1\r\nHost: api\r\n\r\n");
      const text = await client.until("answer 2;");
      assert.ok(text.indexOf("answer 1;") < text.indexOf("answer 2;"));
    } finally {
      client.destroy();
    }
    await events.waitFor("requestCompleted", (e) => e.path.startsWith("/pipe"), 2);
  });

  it("hands HTTP/1.0 and Expect: 100-continue to node:http, which keeps the connection", async () => {
    target.routes.set("/legacy", (req, res) => res.end(`version ${req.httpVersion}`));
    const old = new RawClient(proxy.port);
    old.send("GET /legacy HTTP/1.0\r\nHost: api\r\n\r\n");
    await old.closed;
    assert.match(old.seen.text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.ok(old.seen.text.endsWith("version 1.1"));

    target.routes.set("/continue", (req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => res.end(`got ${Buffer.concat(chunks).toString()}`));
    });
    const client = new RawClient(proxy.port);
    try {
      client.send("PUT /continue HTTP/1.1\r\nHost: api\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
      await client.until("HTTP/1.1 100 Continue\r\n\r\n");
      client.send("data");
      await client.until("got data");
      client.send("GET /legacy HTTP/1.1\r\nHost: api\r\n\r\n");
      await client.until("version 1.1");
    } finally {
      client.destroy();
    }
  });

  it("drops hop-by-hop headers (and those Connection names) each way, recording them as sent", async () => {
    const raw = await rawTarget((socket) => {
      let got = "";
      socket.on("data", (chunk: Buffer) => {
        got += chunk.toString("latin1");
        if (!got.includes("\r\n\r\n")) return;
        const heads = JSON.stringify(got.split("\r\n\r\n")[0]?.split("\r\n").slice(1));
        socket.write(
          "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: secret\r\nKeep-Alive: timeout=5\r\nX-End: yes\r\n" +
            `Content-Length: ${heads.length}\r\n\r\n${heads}`,
        );
        got = "";
      });
    });
    extra.push(raw.server);
    const p = await proxyTo(raw.port, "hops");
    const res = await send(p.port, {
      path: "/hops",
      headers: { connection: "keep-alive, x-private", "x-private": "1", "keep-alive": "timeout=9", "proxy-connection": "keep-alive", "x-end": "yes" },
    });
    const seenByTarget = (JSON.parse(res.body.toString()) as string[]).map((line) => line.split(":")[0]?.toLowerCase());
    for (const hop of ["connection", "x-private", "keep-alive", "proxy-connection"]) assert.ok(!seenByTarget.includes(hop), `${hop} reached the target`);
    assert.ok(seenByTarget.includes("x-end"));
    assert.equal(res.headers["x-hop"], undefined);
    assert.equal(res.headers["keep-alive"], undefined);
    assert.equal(res.headers["x-end"], "yes");

    const [event] = await events.waitFor("requestCompleted", (e) => e.target === "hops");
    assert.ok(event?.requestHeaders.some((h) => h.name.toLowerCase() === "x-private"));
    assert.ok(event?.responseHeaders.some((h) => h.name === "X-Hop" && h.value === "secret"));
  });

  it("passes over interim 1xx answers and forwards the final one", async () => {
    const raw = await rawTarget((socket) => {
      socket.once("data", () => socket.write("HTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal"));
    });
    extra.push(raw.server);
    const p = await proxyTo(raw.port, "hints");
    const res = await send(p.port, { path: "/hints" });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "final");
    const [event] = await events.waitFor("requestCompleted", (e) => e.target === "hints");
    assert.equal(event?.status, 200);
  });

  it("re-sends a request once when a kept-alive target connection closes under it", async () => {
    const raw = await rawTarget((socket, index) => {
      let served = 0;
      socket.on("data", () => {
        // The first connection answers once, then drops the next request unanswered.
        if (index === 0 && served === 1) return void socket.destroy();
        served++;
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nconnection ${index}`);
      });
    });
    extra.push(raw.server);
    const p = await proxyTo(raw.port, "stale");
    assert.equal((await send(p.port, { path: "/a" })).body.toString(), "connection 0");
    const res = await send(p.port, { path: "/b" });
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "connection 1");
  });

  it("answers 502 for a malformed response, and cuts the client off when the target dies mid-body", async () => {
    const raw = await rawTarget((socket) => {
      socket.once("data", (chunk: Buffer) => {
        if (chunk.toString().startsWith("GET /garbage")) socket.end("SPDY/3 200 what\r\n\r\n");
        else socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a part", () => socket.destroy());
      });
    });
    extra.push(raw.server);
    const p = await proxyTo(raw.port, "broken");
    const garbage = await send(p.port, { path: "/garbage" });
    assert.equal(garbage.status, 502);
    assert.match(garbage.body.toString(), /rig proxy: cannot reach .*malformed response head/);
    const [bad] = await events.waitFor("requestCompleted", (e) => e.target === "broken" && e.path === "/garbage");
    assert.equal(bad?.status, 502);
    assert.equal(bad?.error, "target: malformed response head");

    await assert.rejects(send(p.port, { path: "/partial" }), /aborted|ECONNRESET|socket hang up/);
    const [cut] = await events.waitFor("requestCompleted", (e) => e.target === "broken" && e.path === "/partial");
    assert.equal(cut?.status, 200);
    assert.equal(Buffer.from(cut?.responseBody ?? []).toString(), "only a part");
    assert.match(cut?.error ?? "", /^target/);
  });

  it("answers 502 mid-upload when the target is down, and closes once the client is done", async () => {
    const down = await proxyTo(1, "nowhere");
    const client = new RawClient(down.port);
    client.send("PUT /upload HTTP/1.1\r\nHost: nowhere\r\nContent-Length: 10\r\n\r\nfirst");
    await client.until("rig proxy: cannot reach");
    assert.match(client.seen.text, /^HTTP\/1\.1 502 Bad Gateway\r\n[\s\S]*Connection: close\r\n/);
    client.socket.end("-rest");
    await client.closed;
    const [event] = await events.waitFor("requestCompleted", (e) => e.target === "nowhere");
    assert.equal(event?.status, 502);
    assert.match(event?.error ?? "", /^target: connect ECONNREFUSED/);
  });

  it("forwards through node:http alone when asked (core: node)", async () => {
    target.routes.set("/via-node", (req, res) => res.end(`node core ${req.method}`));
    const nodeCore = await startHttpProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: target.port },
      edge: { source: "web", target: "node-core", ingress: "default" },
      onEvent: events.onEvent,
      core: "node",
    });
    try {
      const res = await send(nodeCore.port, { method: "POST", path: "/via-node", body: "x" });
      assert.equal(res.body.toString(), "node core POST");
      assert.equal(res.headers.connection, "keep-alive", "node:http's own hop header: this was not the raw core");
      const [event] = await events.waitFor("requestCompleted", (e) => e.target === "node-core");
      assert.equal(Buffer.from(event?.requestBody ?? []).toString(), "x");
    } finally {
      await nodeCore.close();
    }
  });

  it("delivers an early answer to an upload the target refused, then closes as the target did", async () => {
    const raw = await rawTarget((socket) => {
      socket.once("data", () => socket.end("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 7\r\nConnection: close\r\n\r\ntoo big"));
      socket.resume(); // keep reading, so closing sends FIN, not RST
    });
    extra.push(raw.server);
    const p = await proxyTo(raw.port, "refuser");
    const client = new RawClient(p.port);
    client.send("PUT /huge HTTP/1.1\r\nHost: refuser\r\nContent-Length: 1000000\r\n\r\nthe first bytes");
    await client.closed;
    assert.match(client.seen.text, /^HTTP\/1\.1 413 Payload Too Large\r\n/);
    assert.ok(client.seen.text.endsWith("\r\n\r\ntoo big"));
    const [event] = await events.waitFor("requestCompleted", (e) => e.target === "refuser");
    assert.equal(event?.status, 413);
    assert.equal(event?.error, "");
    assert.equal(Buffer.from(event?.requestBody ?? []).toString(), "the first bytes");
  });

  it("closes the target connection when the client goes away mid-response", async () => {
    let targetSocketClosed!: () => void;
    const closed = new Promise<void>((resolve) => (targetSocketClosed = resolve));
    target.routes.set("/abandoned", (req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
      req.socket.once("close", targetSocketClosed);
    });
    const client = new RawClient(proxy.port);
    client.send("GET /abandoned HTTP/1.1\r\nHost: api\r\n\r\n");
    await client.until("partial");
    client.destroy();
    await closed;
    const [event] = await events.waitFor("requestCompleted", (e) => e.path === "/abandoned");
    assert.equal(event?.error, "source closed the connection before the response completed");
  });

  it("cuts a client whose chunked body is malformed", async () => {
    const client = new RawClient(proxy.port);
    client.send("POST /ping HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
    await client.closed;
    const [event] = await events.waitFor("requestCompleted", (e) => e.error.startsWith("source: "));
    assert.equal(event?.error, "source: invalid chunk size");
  });
});
