/**
 * Readiness by HTTP GET (SPEC §4, protocol `http`): by default ready when the server
 * answers `/` with any status below 500 (a 404 still proves the server is up and
 * routing). A path the user named is a health endpoint: only 2xx and 3xx count, so a
 * wrong path fails loudly instead of passing silently.
 * Each attempt uses its own connection (no agent) and destroys it once the
 * status line is in, so no keep-alive socket outlives the probe. The connection is
 * dialled before the request is made (`dialSocket`): most attempts of a start are
 * refused, and a refused dial costs a third of a refused `http.get`.
 */
import * as http from "node:http";
import type * as net from "node:net";
import type { ReadinessProbe } from "../contract/service-type.js";
import { DEFAULT_ATTEMPT_TIMEOUT_MS, describeFailure, withAttemptDeadline } from "./attempt-deadline.js";
import { dialSocket, type AttemptOptions, type ProbeTarget } from "./tcp-probe.js";

/** Options of the HTTP probe. */
export interface HttpProbeOptions extends AttemptOptions {
  /** Request path, default `/`. */
  readonly path?: string;
  /** Statuses below this are ready: 500 (default) for `/`, 400 for a named health path. */
  readonly readyBelow?: number;
}

/** A probe that GETs `path` and is ready on any status below `readyBelow` (500). */
export function httpProbe(target: ProbeTarget, options: HttpProbeOptions = {}): ReadinessProbe {
  const path = normalizePath(options.path);
  const timeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const readyBelow = options.readyBelow ?? 500;
  return (signal) => withAttemptDeadline(signal, timeoutMs, (attempt) => get(target, path, readyBelow, attempt));
}

function normalizePath(path: string | undefined): string {
  if (!path) return "/";
  return path.startsWith("/") ? path : `/${path}`;
}

/** One GET; resolves not-ready on connection errors and when `signal` aborts. */
async function get(target: ProbeTarget, path: string, readyBelow: number, signal: AbortSignal): Promise<{ ready: boolean; detail?: string }> {
  let socket: net.Socket;
  try {
    socket = await dialSocket(target, signal);
  } catch (err) {
    return { ready: false, detail: `GET ${path} -> ${describeFailure(err, signal)}` };
  }
  return new Promise((resolve) => {
    let done = false;
    const finish = (result: { ready: boolean; detail?: string }): void => {
      if (done) return;
      done = true;
      signal.removeEventListener("abort", onAbort);
      request.destroy();
      socket.destroy();
      resolve(result);
    };
    const failed = (err: unknown): void => finish({ ready: false, detail: `GET ${path} -> ${describeFailure(err, signal)}` });
    // No agent: an agent (even `agent: false`, a fresh one) dials its own connection and
    // ignores createConnection, leaving this one open and silent, and a server that
    // serves one connection at a time (Python's HTTPServer) waits on it for ever.
    const request = http.get({ host: target.host, port: target.port, path, createConnection: () => socket }, (response) => {
      const status = response.statusCode ?? 0;
      // The body is of no interest; destroying the response closes the connection.
      response.destroy();
      finish(status < readyBelow ? { ready: true } : { ready: false, detail: `GET ${path} -> ${status}` });
    });
    request.on("error", failed);
    const onAbort = (): void => failed(undefined);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
}
