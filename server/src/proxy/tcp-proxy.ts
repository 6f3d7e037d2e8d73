/**
 * The TCP proxy: forwards raw bytes both ways and records each connection's open and
 * close, with bytes each way and duration. Half-closes pass through (a client may end
 * its side and still read the answer).
 */
import { create } from "@bufbuild/protobuf";
import { randomUUID } from "node:crypto";
import { connect, createServer, type Socket } from "node:net";
import { ConnectionClosedSchema, ConnectionOpenedSchema } from "../gen/rig/v1/event_pb.js";
import { elapsedSince } from "./elapsed.js";
import { closeOnce, listen, serverClosed } from "./listen.js";
import { type ProxyOptions, type RunningProxy, safeSink } from "./proxy-contract.js";
import { SocketSet } from "./socket-set.js";

/** Starts a TCP proxy; resolves once it listens. */
export async function startTcpProxy(options: ProxyOptions): Promise<RunningProxy> {
  const { edge, target } = options;
  const sockets = new SocketSet();
  const emit = safeSink(options.onEvent);

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (downstream) => {
    sockets.add(downstream);
    const connectionId = randomUUID();
    const started = performance.now();
    emit({ case: "connectionOpened", value: create(ConnectionOpenedSchema, { ...edge, connectionId }) });

    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    sockets.add(upstream);
    let sent = 0;
    let received = 0;
    let error = "";
    downstream.on("data", (chunk: Buffer) => (sent += chunk.length));
    upstream.on("data", (chunk: Buffer) => (received += chunk.length));
    downstream.pipe(upstream);
    upstream.pipe(downstream);

    const fail = (side: string) => (err: Error) => {
      error ||= `${side}: ${err.message}`;
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on("error", fail("source"));
    upstream.on("error", fail("target"));
    // Once one side is fully closed the other has nothing left to talk to.
    downstream.once("close", () => upstream.destroySoon());
    upstream.once("close", () => downstream.destroySoon());

    void Promise.all([closedOf(downstream), closedOf(upstream)]).then(() => {
      emit({
        case: "connectionClosed",
        value: create(ConnectionClosedSchema, {
          ...edge,
          connectionId,
          bytesSent: BigInt(sent),
          bytesReceived: BigInt(received),
          duration: elapsedSince(started),
          error,
        }),
      });
    });
  });

  const port = await listen(server, options.listenHost ?? "127.0.0.1", options.listenPort);
  const close = closeOnce(async () => {
    const closed = serverClosed(server);
    sockets.destroyAll();
    await closed;
  }, options.signal);
  return { port, close };
}

function closedOf(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once("close", () => resolve())));
}

