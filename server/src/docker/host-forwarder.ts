/**
 * A TCP forwarder that lets a container reach a service that listens on the host's
 * loopback. Host services bind 127.0.0.1 only (rigd never exposes them beyond the
 * machine), and a container's 127.0.0.1 is its own, so the container type opens one
 * forwarder per egress on the Docker bridge gateway (the address `host.docker.internal`
 * maps to) and points the container's wiring at it. Bytes are piped unchanged; the
 * owner closes it at release.
 */
import * as net from "node:net";

/** An open forwarder. */
export interface HostForwarder {
  /** Where containers connect (the bridge gateway address). */
  readonly host: string;
  readonly port: number;
  /** Stops listening and cuts every forwarded connection. */
  close(): Promise<void>;
}

/** Options of openHostForwarder. */
export interface HostForwarderOptions {
  /** Port to listen on when free; otherwise (and when unset) an ephemeral one. */
  readonly preferredPort?: number;
  /** Connections from addresses this denies are closed at once (e.g. other networks' containers). */
  readonly accept?: (remoteAddress: string) => boolean;
}

/** Listens on `bindHost` and forwards each connection to `target`. */
export async function openHostForwarder(
  bindHost: string,
  target: { readonly host: string; readonly port: number },
  options: HostForwarderOptions = {},
): Promise<HostForwarder> {
  if (options.preferredPort) {
    try {
      return await listenForwarder(bindHost, options.preferredPort, target, options);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
  return listenForwarder(bindHost, 0, target, options);
}

function listenForwarder(
  bindHost: string,
  bindPort: number,
  target: { readonly host: string; readonly port: number },
  options: HostForwarderOptions,
): Promise<HostForwarder> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  };
  const server = net.createServer({ allowHalfOpen: true }, (inbound) => {
    if (options.accept && !options.accept(inbound.remoteAddress ?? "")) {
      inbound.destroy();
      return;
    }
    track(inbound);
    const outbound = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    track(outbound);
    inbound.setNoDelay(true);
    outbound.setNoDelay(true);
    // Half-closes travel through (allowHalfOpen) so request/response protocols that
    // shut down their write side still get the answer.
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const cut = (): void => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.once("error", cut);
    outbound.once("error", cut);
    inbound.once("close", () => outbound.end());
    outbound.once("close", () => inbound.end());
  });
  server.on("error", () => {}); // listen errors are reported through the promise below
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: bindHost, port: bindPort }, () => {
      server.off("error", reject);
      const port = (server.address() as net.AddressInfo).port;
      let closing: Promise<void> | undefined;
      resolve({
        host: bindHost,
        port,
        close() {
          closing ??= new Promise<void>((done) => {
            server.close(() => done());
            for (const socket of sockets) socket.destroy();
          });
          return closing;
        },
      });
    });
  });
}
