/**
 * The open sockets of one proxy, so closing the proxy can end every connection at
 * once instead of waiting for clients to hang up.
 */
import type { Duplex } from "node:stream";

/** Tracks sockets (or any duplex) until they close. */
export class SocketSet {
  readonly #sockets = new Set<Duplex>();

  /** Tracks `socket` until it closes. */
  add(socket: Duplex): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }

  /** Destroys every tracked socket. */
  destroyAll(): void {
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
  }
}
