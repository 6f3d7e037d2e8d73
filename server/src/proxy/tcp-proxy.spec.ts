import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { RunningProxy } from "./proxy-contract.js";
import { startTcpProxy } from "./tcp-proxy.js";
import { EventCollector } from "./testdata/event-collector.js";

/** An echo server that answers each chunk with "echo:" + chunk. */
async function startEcho(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    socket.on("data", (chunk) => socket.write(Buffer.concat([Buffer.from("echo:"), chunk])));
    socket.on("end", () => socket.end());
    socket.on("error", () => socket.destroy());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  return { server, port: typeof address === "object" && address ? address.port : 0 };
}

function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on("data", (c: Buffer) => chunks.push(c));
  return new Promise((resolve, reject) => {
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
}

describe("TCP proxy", () => {
  let echo: { server: Server; port: number };
  let proxy: RunningProxy;
  const events = new EventCollector();

  before(async () => {
    echo = await startEcho();
    proxy = await startTcpProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: echo.port },
      edge: { source: "app", target: "db", ingress: "default" },
      onEvent: events.onEvent,
    });
  });
  after(async () => {
    await proxy.close();
    echo.server.close();
  });

  it("records open and close with the bytes of each direction", async () => {
    const socket = connect(proxy.port, "127.0.0.1");
    const received = readAll(socket);
    socket.write("hello");
    await once(socket, "data");
    // Half-close: the server answers the end with its own.
    socket.end("world!");
    const all = await received;
    assert.equal(all.toString(), "echo:helloecho:world!");

    const [opened] = await events.waitFor("connectionOpened");
    const [closed] = await events.waitFor("connectionClosed");
    assert.ok(opened && closed);
    assert.deepEqual([opened.source, opened.target, opened.ingress], ["app", "db", "default"]);
    assert.equal(closed.connectionId, opened.connectionId);
    assert.equal(closed.bytesSent, 11n);
    assert.equal(closed.bytesReceived, 21n);
    assert.equal(closed.error, "");
    assert.ok(closed.duration && durationMs(closed.duration) >= 0);
  });

  it("keeps connections apart and counts large transfers", async () => {
    const big = Buffer.alloc(3 * 1024 * 1024, 7);
    const a = connect(proxy.port, "127.0.0.1");
    const b = connect(proxy.port, "127.0.0.1");
    const [ra, rb] = [readAll(a), readAll(b)];
    a.end(big);
    b.end("tiny");
    const [da, db] = await Promise.all([ra, rb]);
    assert.equal(db.toString(), "echo:tiny");
    assert.ok(da.length > big.length);
    const closed = await events.waitFor("connectionClosed", (c) => c.bytesSent === BigInt(big.length) || c.bytesSent === 4n, 2);
    const large = closed.find((c) => c.bytesSent === BigInt(big.length));
    assert.equal(large?.bytesReceived, BigInt(da.length));
  });

  it("closes open connections when the proxy closes", async () => {
    const extra = await startTcpProxy({
      listenPort: 0,
      target: { host: "127.0.0.1", port: echo.port },
      edge: { source: "app", target: "db", ingress: "default" },
      onEvent: () => {},
    });
    const socket = connect(extra.port, "127.0.0.1");
    socket.on("error", () => {});
    socket.write("ping");
    await once(socket, "data");
    const gone = once(socket, "close");
    await extra.close();
    await gone;
  });
});
