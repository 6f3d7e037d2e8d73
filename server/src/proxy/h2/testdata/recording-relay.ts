/**
 * A TCP relay that records both directions' bytes as they pass, so tests can read what a
 * real HTTP/2 client and server put on the wire.
 */
import { connect, createServer, type Socket } from "node:net";

/** A listening relay and what it saw. */
export interface RecordingRelay {
  readonly port: number;
  /** Client-to-server chunks, in order, of every connection so far. */
  readonly fromClient: Buffer[];
  /** Server-to-client chunks, in order. */
  readonly fromServer: Buffer[];
  close(): Promise<void>;
}

/** Relays 127.0.0.1:<port> to `targetPort`; meant for one connection at a time. */
export async function startRecordingRelay(targetPort: number): Promise<RecordingRelay> {
  const fromClient: Buffer[] = [];
  const fromServer: Buffer[] = [];
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server = createServer((client) => {
    const upstream = connect({ host: "127.0.0.1", port: targetPort });
    track(client);
    track(upstream);
    client.on("data", (chunk: Buffer) => fromClient.push(Buffer.from(chunk)));
    upstream.on("data", (chunk: Buffer) => fromServer.push(Buffer.from(chunk)));
    client.pipe(upstream).on("error", () => client.destroy());
    upstream.pipe(client).on("error", () => upstream.destroy());
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    fromClient,
    fromServer,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
