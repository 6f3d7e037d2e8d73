/**
 * The Temporal pool: a dev server (`temporal server start-dev`, in memory, no UI) per
 * rigd and Temporal CLI binary, a child process on 127.0.0.1 at a port of the host
 * servers' range (its internal services take free ports of their own). A lease is a
 * namespace of its own, named after the service with a random suffix, created and
 * deleted with the same CLI (`temporal operator namespace create|delete`).
 */
import { runHostChecked, runHostCommand } from "./host-process.js";
import { startPortServer, type PortServer } from "./host-server-start.js";
import { leaseName } from "./lease-name.js";
import { Pool } from "./pool.js";
import type { HostServerOptions } from "./server-runtime.js";

/** A running dev server. */
export interface TemporalServer {
  readonly host: string;
  readonly port: number;
  /** For messages: `temporal dev server pid N`. */
  readonly name: string;
  readonly exited: Promise<string>;
}

export interface TemporalLease {
  readonly namespace: string;
}

export type TemporalPool = Pool<TemporalServer, { readonly service: string }, TemporalLease>;

/** The pool key of a CLI binary: one dev server per binary (and so per version). */
export function temporalKey(cli: string): string {
  return `temporal:${cli}`;
}

/** The pool of Temporal dev servers, keyed by `temporalKey(cli)`. */
export function createTemporalPool(options: HostServerOptions & { readonly idleMs?: number }): TemporalPool {
  return new Pool({
    name: "temporal",
    idleMs: options.idleMs ?? 120_000,
    ...(options.log ? { log: options.log } : {}),
    create: (key) => {
      const cli = key.slice("temporal:".length);
      const address = (port: number): string[] => ["--address", `127.0.0.1:${port}`];
      let started: PortServer | undefined;
      return {
        async start(signal) {
          started = await startPortServer(
            {
              kind: "temporal",
              command: cli,
              args: (port) => ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(port), "--headless", "--log-level", "warn"],
              ready: async (port, probe) => (await runHostCommand(cli, ["operator", "cluster", "health", ...address(port)], { signal: probe })).exitCode === 0,
              portTaken: /address already in use/i,
            },
            options,
            signal,
          );
          const { server, port } = started;
          return { host: "127.0.0.1", port, name: `temporal dev server pid ${server.pid}`, exited: server.exited };
        },
        async stop() {
          await started?.stop();
        },
        async newLease(server, request, signal) {
          const namespace = leaseName(request.service);
          await runHostChecked(cli, ["operator", "namespace", "create", "--namespace", namespace, ...address(server.port)], `create namespace ${namespace}`, { signal });
          return { namespace };
        },
        async dropLease(server, lease) {
          await runHostChecked(cli, ["operator", "namespace", "delete", "--namespace", lease.namespace, "--yes", ...address(server.port)], `delete namespace ${lease.namespace}`);
        },
        died: (server) => server.exited,
      };
    },
  });
}
