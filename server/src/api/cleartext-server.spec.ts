/**
 * The one-port server: HTTP/1.1 and h2c side by side, protocol detection when the first
 * bytes arrive in pieces, and a close() that does not wait on idle connections.
 */
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { describe, it } from "node:test";
import { listenCleartext } from "./cleartext-server.js";
import type { RequestHandler } from "./cleartext-server.js";

/** Answers with the HTTP version it saw; `/hang` never answers. */
const versionHandler: RequestHandler = (req, res) => {
  if (req.url === "/hang") return;
  res.setHeader("content-type", "text/plain");
  res.end(`HTTP/${req.httpVersion}`);
};

describe("cleartext server", () => {
  it("serves HTTP/1.1 and h2c on one port", async () => {
    const server = await listenCleartext(versionHandler, "127.0.0.1", 0);
    try {
      assert.equal(await http1Get(server.port, "/"), "HTTP/1.1");
      assert.equal(await h2Get(server.port, "/"), "HTTP/2.0");
    } finally {
      await server.close(100);
    }
  });

  it("decides the protocol when the first bytes arrive one at a time", async () => {
    const server = await listenCleartext(versionHandler, "127.0.0.1", 0);
    const relay = await byteByByteRelay(server.port);
    try {
      assert.equal(await http1Get(relay.port, "/"), "HTTP/1.1");
      assert.equal(await h2Get(relay.port, "/"), "HTTP/2.0");
    } finally {
      await relay.close();
      await server.close(100);
    }
  });

  it("closes idle keep-alive and h2 connections without waiting for the grace period", async () => {
    const server = await listenCleartext(versionHandler, "127.0.0.1", 0);
    const agent = new http.Agent({ keepAlive: true });
    const session = http2.connect(`http://127.0.0.1:${server.port}`);
    try {
      assert.equal(await http1Get(server.port, "/", agent), "HTTP/1.1");
      assert.equal(await h2Get(server.port, "/", session), "HTTP/2.0");
      const sessionClosed = new Promise((resolve) => session.once("close", resolve));
      // A grace far above the test timeout: only a prompt close lets this test pass.
      await server.close(600_000);
      await sessionClosed;
    } finally {
      agent.destroy();
      session.destroy();
    }
    await assert.rejects(http1Get(server.port, "/"), /ECONNREFUSED/);
  });

  it("destroys connections with calls still running once the grace period ends", async () => {
    let arrived = 0;
    let bothArrived!: () => void;
    const arrivals = new Promise<void>((resolve) => (bothArrived = resolve));
    const server = await listenCleartext(
      (req, res) => {
        if (++arrived === 2) bothArrived();
        versionHandler(req, res);
      },
      "127.0.0.1",
      0,
    );
    const hung = http1Get(server.port, "/hang");
    const h2hung = h2Get(server.port, "/hang");
    await arrivals;
    await server.close(50);
    await assert.rejects(hung);
    await assert.rejects(h2hung);
  });
});

function http1Get(port: number, path: string, agent?: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: agent ?? false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

function h2Get(port: number, path: string, session?: http2.ClientHttp2Session): Promise<string> {
  const own = session ?? http2.connect(`http://127.0.0.1:${port}`);
  return new Promise<string>((resolve, reject) => {
    own.on("error", reject);
    const stream = own.request({ ":path": path });
    let body = "";
    let responded = false;
    stream.on("response", () => (responded = true));
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (body += chunk));
    stream.on("end", () => (responded ? resolve(body) : reject(new Error("stream ended without a response"))));
    stream.on("error", reject);
    stream.on("close", () => reject(new Error(`stream closed (rst code ${stream.rstCode})`)));
  }).finally(() => {
    if (!session) own.close();
  });
}

/** A TCP relay that forwards the client's first 40 bytes one write at a time. */
async function byteByByteRelay(targetPort: number): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const relay = net.createServer((client) => {
    const upstream = net.connect(targetPort, "127.0.0.1");
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    let forwarded = 0;
    let queue = Promise.resolve();
    client.on("data", (chunk: Buffer) => {
      queue = queue.then(async () => {
        for (let i = 0; i < chunk.length; ) {
          const n = forwarded < 40 ? 1 : chunk.length - i;
          upstream.write(chunk.subarray(i, i + n));
          i += n;
          forwarded += n;
          // Let each byte leave as its own segment.
          if (n === 1) await new Promise((r) => setTimeout(r, 2));
        }
      });
    });
    upstream.pipe(client);
    client.on("end", () => void queue.then(() => upstream.end()));
  });
  await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve));
  return {
    port: (relay.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        relay.close(() => resolve());
      }),
  };
}
