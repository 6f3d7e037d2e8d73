/**
 * The S3 and SQS pool: one moto server (`moto_server`, from PyPI's `moto[server]`) per
 * rigd, a child process on 127.0.0.1 at a port of the host servers' range, serving both
 * APIs on one port. A lease is a bucket or a queue of its own, named after the service
 * with a random suffix; release empties and removes the bucket, or deletes the queue.
 * The server keeps everything in memory: stopping it (idle, rigd shutdown) loses nothing
 * that outlives a lease.
 */
import { candidatesOnPath, isExecutable } from "../os/executables.js";
import { createBucket, createQueue, deleteQueue, removeBucket, type AwsTarget } from "./aws-requests.js";
import { startPortServer, type PortServer } from "./host-server-start.js";
import { leaseName } from "./lease-name.js";
import { Pool } from "./pool.js";
import type { HostServerOptions } from "./server-runtime.js";

/** The pool's one key: a single server serves every region, bucket and queue. */
export const MOTO_KEY = "moto";

/** Credentials the server accepts (it checks none); published so SDKs have some. */
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

/** A running moto server. */
export interface MotoServer {
  readonly host: string;
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly endpoint: string;
  /** For messages: `moto_server pid N`. */
  readonly name: string;
  /** Resolves (with why) when the server exits. */
  readonly exited: Promise<string>;
}

/** What an environment asks for: a bucket or a queue, in a region. */
export type MotoRequest =
  | { readonly kind: "s3"; readonly service: string; readonly region: string }
  | { readonly kind: "sqs"; readonly service: string; readonly region: string; readonly fifo: boolean };

/** What it gets. */
export type MotoLease =
  | { readonly kind: "s3"; readonly region: string; readonly bucket: string }
  | { readonly kind: "sqs"; readonly region: string; readonly queue: string; readonly url: string };

export type MotoPool = Pool<MotoServer, MotoRequest, MotoLease>;

/** moto's server on this host: `$RIG_MOTO_SERVER`, else `moto_server` on PATH; throws saying how to install it. */
export function findMotoServer(): string {
  const fromEnv = process.env["RIG_MOTO_SERVER"];
  const found = [...(fromEnv ? [fromEnv] : []), ...candidatesOnPath("moto_server")].find(isExecutable);
  if (found) return found;
  throw new Error(
    `no moto_server on this host (looked in ${fromEnv ? `$RIG_MOTO_SERVER (${fromEnv}), ` : ""}PATH): the s3 and sqs types run moto's server; ` +
      "install it with `python3 -m venv ~/.rig-moto && ~/.rig-moto/bin/pip install 'moto[server]==5.2.5'` and put ~/.rig-moto/bin on PATH " +
      "or set RIG_MOTO_SERVER to its moto_server (in a rig checkout, `make setup` does this)",
  );
}

/** The pool of moto servers (one key, so one server per rigd). */
export function createMotoPool(options: HostServerOptions & { readonly idleMs?: number }): MotoPool {
  return new Pool<MotoServer, MotoRequest, MotoLease>({
    name: "moto",
    idleMs: options.idleMs ?? 120_000,
    ...(options.log ? { log: options.log } : {}),
    create: () => {
      let started: PortServer | undefined;
      const target = (server: MotoServer, region: string): AwsTarget => ({ endpoint: server.endpoint, region });
      return {
        async start(signal) {
          started = await startPortServer(
            {
              kind: "moto",
              command: findMotoServer(),
              args: (port) => ["-H", "127.0.0.1", "-p", String(port)],
              ready: async (port, signal) => (await fetch(`http://127.0.0.1:${port}/moto-api/`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) })).ok,
              portTaken: /Address already in use/i,
            },
            options,
            signal,
          );
          const { server, port } = started;
          return { host: "127.0.0.1", port, endpoint: `http://127.0.0.1:${port}`, name: `moto_server pid ${server.pid}`, exited: server.exited };
        },
        async stop() {
          await started?.stop();
        },
        async newLease(server, request) {
          const name = leaseName(request.service);
          if (request.kind === "s3") {
            await createBucket(target(server, request.region), name);
            return { kind: "s3", region: request.region, bucket: name };
          }
          const queue = request.fifo ? `${name}.fifo` : name;
          const url = await createQueue(target(server, request.region), queue);
          return { kind: "sqs", region: request.region, queue, url };
        },
        async dropLease(server, lease) {
          if (lease.kind === "s3") await removeBucket(target(server, lease.region), lease.bucket);
          else await deleteQueue(target(server, lease.region), lease.url);
        },
        died: (server) => server.exited,
      };
    },
  });
}
