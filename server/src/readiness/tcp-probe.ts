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
  return (signal) => withAttemptDeadline(signal, timeoutMs, (attempt) => dial(target, attempt));
}

/** One dial; resolves not-ready on any socket error or when `signal` aborts. */
function dial(target: ProbeTarget, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.host, port: target.port });
    let done = false;
    const finish = (result: { ready: boolean; detail?: string }): void => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ready: false, detail: `dial ${describeFailure(undefined, signal)}` });
    socket.once("connect", () => finish({ ready: true }));
    socket.on("error", (err) => finish({ ready: false, detail: describeFailure(err, signal) }));
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
