/**
 * Tells HTTP/2 cleartext connections from HTTP/1.x ones by their first bytes, so one
 * port can take both (gRPC needs h2c; gRPC-Web and Connect JSON often come over
 * HTTP/1.1). An HTTP/2 client opens with `PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`. Used by
 * rigd's own API port (api/cleartext-server.ts) and the gRPC proxy.
 */
import type { Socket } from "node:net";

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

/**
 * Reads until the bytes decide the protocol, puts them back and hands the socket over.
 * Paused-mode reading ('readable' + read()) leaves the socket neither flowing nor
 * paused afterwards, so whichever server takes it starts reading it again.
 */
export function routeByPreface(socket: Socket, handOver: (isHttp2: boolean) => void): void {
  let peeked: Buffer = Buffer.alloc(0);
  const onError = (): void => void socket.destroy();
  const onEnd = (): void => void socket.destroy();
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = socket.read() as Buffer | null) !== null) {
      peeked = peeked.length === 0 ? chunk : Buffer.concat([peeked, chunk]);
    }
    const n = Math.min(peeked.length, H2_PREFACE.length);
    const prefaceSoFar = peeked.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
    if (prefaceSoFar && peeked.length < H2_PREFACE.length) return; // undecided yet
    socket.off("readable", onReadable);
    socket.off("error", onError);
    socket.off("end", onEnd);
    socket.unshift(peeked);
    handOver(prefaceSoFar);
  };
  socket.on("readable", onReadable);
  socket.on("error", onError);
  socket.on("end", onEnd);
}
