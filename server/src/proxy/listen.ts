/**
 * Binding a proxy's server and tying its lifetime to an AbortSignal.
 */
import type { Server } from "node:net";

/** Listens on host:port and resolves with the bound port. */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/**
 * Makes `close` idempotent and runs it when `signal` aborts. Returns the idempotent
 * close; every caller shares one closing promise.
 */
export function closeOnce(close: () => Promise<void>, signal: AbortSignal | undefined): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const once = (): Promise<void> => (closing ??= close());
  if (signal) {
    if (signal.aborted) void once();
    else signal.addEventListener("abort", () => void once(), { once: true });
  }
  return once;
}

/** Resolves once `server` has stopped listening (already-stopped counts). */
export function serverClosed(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
