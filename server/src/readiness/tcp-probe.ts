/**
 * Readiness by TCP dial (SPEC §4, protocol `tcp`): ready once a connection is
 * accepted. The socket is closed at once; nothing is sent.
 */
import * as net from "node:net";
import type { ReadinessProbe } from "../contract/service-type.js";
import { DEFAULT_ATTEMPT_TIMEOUT_MS, describeFailure, withAttemptDeadline } from "./attempt-deadline.js";

/** Where a probe connects. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
}

/** Options shared by the socket-level probes. */
export interface AttemptOptions {
  /** How long one attempt may take before it counts as not ready (default 1 s). */
  readonly attemptTimeoutMs?: number;
}

/** A probe that is ready when `host:port` accepts a TCP connection. */
export function tcpProbe(target: ProbeTarget, options: AttemptOptions = {}): ReadinessProbe {
  const timeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  return (signal) =>
    withAttemptDeadline(signal, timeoutMs, async (attempt) => {
      try {
        (await dialSocket(target, attempt)).destroy();
        return { ready: true };
      } catch (err) {
        return { ready: false, detail: err === undefined ? `dial ${describeFailure(err, attempt)}` : describeFailure(err, attempt) };
      }
    });
}

/**
 * Dials `target`: resolves with the connected socket (the caller's to destroy), rejects
 * with the socket's error, or with undefined when `signal` aborts first (the socket is
 * destroyed then). The first step of every socket-level probe: while a service does not
 * listen yet, a refused dial is all an attempt costs (~20 µs of CPU; a refused http.get
 * costs ~70, a refused gRPC health check ~150-250, CPU a starting service competes for).
 */
export function dialSocket(target: ProbeTarget, signal: AbortSignal): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(undefined);
    const socket = net.connect({ host: target.host, port: target.port });
    const settle = (err?: unknown): void => {
      signal.removeEventListener("abort", onAbort);
      socket.off("connect", onConnect);
      socket.off("error", settle);
      if (err === NOT_AN_ERROR) {
        // The caller's protocol listens for errors from here on; this keeps one that came
        // before it did (a reset right after the accept) from being thrown as uncaught.
        socket.on("error", ignore);
        return resolve(socket);
      }
      socket.destroy();
      reject(err);
    };
    const onConnect = (): void => settle(NOT_AN_ERROR);
    const onAbort = (): void => settle(undefined);
    socket.once("connect", onConnect);
    socket.once("error", settle);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** What settles a dial that connected. */
const NOT_AN_ERROR = Symbol("connected");

function ignore(): void {}
