/**
 * TCP readiness through a Docker port mapping. The engine's userland proxy accepts
 * connections on the host port as soon as the container starts, even before anything
 * listens inside, and then closes them at once. A plain dial would call such a
 * container ready; this probe also requires the connection to stay open for a short
 * window (or to deliver data, for servers that speak first).
 */
import * as net from "node:net";
import type { ReadinessProbe } from "../contract/service-type.js";

/** How long an accepted connection must survive to count as a real listener. */
const HOLD_MS = 100;
/** One attempt gives up after this long. */
const ATTEMPT_MS = 1000;

/** A probe that is ready when `host:port` accepts a connection that is not closed at once. */
export function proxiedTcpProbe(target: { readonly host: string; readonly port: number }): ReadinessProbe {
  return (signal) =>
    new Promise((resolve) => {
      const socket = net.connect({ host: target.host, port: target.port });
      let settled = false;
      let hold: NodeJS.Timeout | undefined;
      const attempt = setTimeout(() => finish(false, "dial timed out"), ATTEMPT_MS);
      const onAbort = (): void => finish(false, "aborted");
      function finish(ready: boolean, detail?: string): void {
        if (settled) return;
        settled = true;
        clearTimeout(attempt);
        clearTimeout(hold);
        signal.removeEventListener("abort", onAbort);
        socket.destroy();
        resolve(detail === undefined ? { ready } : { ready, detail });
      }
      signal.addEventListener("abort", onAbort, { once: true });
      socket.once("connect", () => {
        hold = setTimeout(() => finish(true), HOLD_MS);
      });
      socket.once("data", () => finish(true));
      socket.once("end", () => finish(false, "connection closed at once (nothing listens in the container yet)"));
      socket.once("error", (err) => finish(false, err.message));
      socket.once("close", () => finish(false, "connection closed"));
    });
}
