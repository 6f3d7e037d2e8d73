/**
 * Keep-alive connections to the target for the raw HTTP/1.1 core. One exchange owns a
 * connection at a time; idle ones wait in a last-in-first-out list (the most recently
 * used connection is the least likely to have been closed by the target). Each socket
 * gets its listeners once, and they call whichever exchange owns it now, so an
 * exchange costs no listener churn.
 */
import { connect, type Socket } from "node:net";
import type { ProxyTarget } from "./proxy-contract.js";

/** What an upstream connection reports to the exchange that owns it. */
export interface UpstreamOwner {
  upstreamData(chunk: Buffer): void;
  upstreamDrain(): void;
  /** The connection closed; `error` says why when it was not a clean close. */
  upstreamClosed(error: Error | undefined): void;
}

/** One connection to the target. */
export class UpstreamConnection {
  /** The exchange using it; undefined while idle. */
  owner: UpstreamOwner | undefined;
  /** True once it served an exchange: a request on it may meet a close the target sent meanwhile. */
  reused = false;
  closed = false;
  /** When an idle connection stops being worth reusing (the target's keep-alive hint), in performance.now() ms. */
  expiresAt = Infinity;
  #error: Error | undefined;

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      if (this.owner) this.owner.upstreamData(chunk);
      else socket.destroy(); // bytes nobody asked for: the connection is out of step
    });
    socket.on("drain", () => this.owner?.upstreamDrain());
    socket.on("error", (err) => (this.#error = err));
    socket.on("close", () => {
      this.closed = true;
      const owner = this.owner;
      this.owner = undefined;
      owner?.upstreamClosed(this.#error);
    });
  }
}

/** Idle connections kept at most; more are closed when released. */
const DEFAULT_MAX_IDLE = 64;
/** A connection is retired this long before the target said it would close it. */
const EXPIRY_MARGIN_MS = 1000;

/** The target's connections of one proxy. */
export class UpstreamPool {
  readonly #idle: UpstreamConnection[] = [];
  readonly #all = new Set<UpstreamConnection>();

  constructor(
    readonly target: ProxyTarget,
    readonly maxIdle = DEFAULT_MAX_IDLE,
  ) {}

  /**
   * A connection for `owner`: the most recently released live one, else (or when
   * `fresh`) a new one, writable at once (writes queue until connected).
   */
  acquire(owner: UpstreamOwner, fresh = false): UpstreamConnection {
    const now = performance.now();
    let conn: UpstreamConnection | undefined;
    while (!fresh && (conn = this.#idle.pop()) !== undefined) {
      if (!conn.closed && conn.expiresAt > now) break;
      conn.socket.destroy();
    }
    if (!conn) {
      conn = new UpstreamConnection(connect({ host: this.target.host, port: this.target.port, noDelay: true }));
      this.#all.add(conn);
      const added = conn;
      conn.socket.once("close", () => {
        this.#all.delete(added);
        const at = this.#idle.indexOf(added);
        if (at >= 0) this.#idle.splice(at, 1);
      });
    }
    conn.owner = owner;
    return conn;
  }

  /** Returns a connection whose exchange ended cleanly; `keepAliveMs` is the target's idle timeout, if it said. */
  release(conn: UpstreamConnection, keepAliveMs: number | undefined): void {
    conn.owner = undefined;
    conn.reused = true;
    if (conn.closed) return;
    if (this.#idle.length >= this.maxIdle) return void conn.socket.destroy();
    conn.expiresAt = keepAliveMs === undefined ? Infinity : performance.now() + keepAliveMs - EXPIRY_MARGIN_MS;
    if (conn.socket.isPaused()) conn.socket.resume();
    this.#idle.push(conn);
  }

  /** Closes a connection that cannot carry another exchange. */
  discard(conn: UpstreamConnection): void {
    conn.owner = undefined;
    conn.socket.destroy();
  }

  /** Closes every connection, idle or busy. */
  destroy(): void {
    for (const conn of this.#all) conn.socket.destroy();
    this.#all.clear();
    this.#idle.length = 0;
  }
}
