/**
 * Starting a pooled host server that needs nothing but a port (moto's server, Temporal's
 * dev server): a server dir of its own, a port from the host servers' range, the server
 * in its own process group, then a readiness check polled until it passes, the server
 * exits or time runs out. A port taken meanwhile is retried on another; any failure
 * stops the server, returns the port, removes the dir and says why with the server's
 * last output.
 */
import { startHostServer, type HostServer } from "./host-process.js";
import { createHostServerDir } from "./host-server-dir.js";
import type { HostServerOptions } from "./server-runtime.js";

const DEFAULT_START_TIMEOUT_MS = 60_000;
const PORT_ATTEMPTS = 3;

/** What to run and how to tell it is ready. */
export interface PortServerSpec {
  /** `moto`, `temporal`: for the dir name and messages. */
  readonly kind: string;
  readonly command: string;
  args(port: number): string[];
  /** One readiness check; true once the server serves. */
  ready(port: number, signal: AbortSignal): Promise<boolean>;
  /** Output of a server that lost the race for its port. */
  readonly portTaken: RegExp;
}

/** A started server; `stop` undoes everything `startPortServer` did. */
export interface PortServer {
  readonly server: HostServer;
  readonly port: number;
  stop(): Promise<void>;
}

/** Polls `ready` until it passes (undefined), the server exits or time runs out (why). */
async function untilReady(spec: PortServerSpec, port: number, server: HostServer, timeoutMs: number, signal: AbortSignal): Promise<string | undefined> {
  let exited: string | undefined;
  void server.exited.then((why) => (exited = why));
  const deadline = Date.now() + timeoutMs;
  let delay = 20;
  for (;;) {
    signal.throwIfAborted();
    if (exited) return exited;
    if (await spec.ready(port, signal).catch(() => false)) return undefined;
    if (Date.now() > deadline) return `not ready after ${timeoutMs} ms`;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 250);
  }
}

/** Starts `spec`'s server on a free port and waits until it is ready. */
export async function startPortServer(spec: PortServerSpec, options: HostServerOptions, signal: AbortSignal): Promise<PortServer> {
  const dir = createHostServerDir(options.rigDir, spec.kind);
  try {
    for (let attempt = 1; ; attempt++) {
      const port = await options.ports.allocate();
      const server = await startHostServer({ kind: spec.kind, command: spec.command, args: spec.args(port), cwd: dir.path, stopSignal: "SIGTERM" }, options.records);
      const stopServer = async (): Promise<void> => {
        await server.stop();
        options.ports.release(port);
      };
      const failure = await untilReady(spec, port, server, options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS, signal).catch(async (err: unknown) => {
        await stopServer();
        throw err;
      });
      if (!failure) {
        return {
          server,
          port,
          async stop() {
            await stopServer();
            dir.remove();
          },
        };
      }
      await stopServer();
      if (!server.tail().some((line) => spec.portTaken.test(line)) || attempt >= PORT_ATTEMPTS) {
        throw new Error(`${failure}; last output:\n${server.tail().join("\n")}`);
      }
    }
  } catch (err) {
    dir.remove();
    throw err instanceof Error ? new Error(`${spec.kind} server (${spec.command}) did not start: ${err.message}`) : err;
  }
}
