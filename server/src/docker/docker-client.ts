/**
 * The one dockerode client rigd shares between types, pools, artifacts and the reaper.
 */
import { createRequire } from "node:module";
import { inRigdBundle } from "../os/rigd-bundle.js";
import type Docker from "dockerode";

/**
 * dockerode, loaded synchronously. In the bundle the plain `require("dockerode")` is what
 * the bundler inlines (there are no node_modules beside the binary); from dist/ it is a
 * require relative to this file.
 */
function requireDockerode(): typeof Docker {
  if (inRigdBundle) return require("dockerode") as typeof Docker;
  return createRequire(import.meta.url)("dockerode") as typeof Docker;
}

/**
 * A client for the engine named by DOCKER_HOST (or the default local socket).
 *
 * dockerode (with docker-modem and ssh2 under it) takes ~90 ms to load, most of a rigd
 * cold start, and many rigds never touch Docker: the client returned is a stand-in that
 * loads dockerode on its first use. dockerode's API has synchronous parts
 * (`getContainer`), so the load is a synchronous require, not import().
 */
export function createDockerClient(): Docker {
  let real: Docker | undefined;
  // dockerode reads DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH itself.
  const load = (): Docker => (real ??= new (requireDockerode())());
  return new Proxy({} as Docker, {
    get(_target, property) {
      const docker = load();
      const value: unknown = Reflect.get(docker, property, docker);
      return typeof value === "function" ? value.bind(docker) : value;
    },
    has: (_target, property) => Reflect.has(load(), property),
  });
}

/** True when the engine answers a ping (used by tests to explain a missing engine). */
export async function engineReachable(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Where the client looks for the engine, as DOCKER_HOST would say it. */
export function engineAddress(docker: Docker): string {
  const modem = docker.modem as { socketPath?: unknown; host?: unknown; port?: unknown; protocol?: unknown };
  if (typeof modem.socketPath === "string") return `unix://${modem.socketPath}`;
  return `${typeof modem.protocol === "string" ? modem.protocol : "http"}://${String(modem.host)}${modem.port ? `:${String(modem.port)}` : ""}`;
}

/** The engine cannot be reached at all (no socket, refused, unknown host). */
export class EngineUnreachableError extends Error {
  constructor(address: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      `the Docker engine is not reachable at ${address} (${why}): start it (e.g. \`sudo systemctl start docker\`, ` +
        "or `make docker` in a rig checkout), or set DOCKER_HOST to a running engine",
    );
    this.name = "EngineUnreachableError";
  }
}

const UNREACHABLE = new Set(["ENOENT", "ECONNREFUSED", "EACCES", "ENOTFOUND", "EHOSTUNREACH", "ETIMEDOUT", "ECONNRESET"]);

/** `err` as an EngineUnreachableError when it says the engine could not be reached; else `err`. */
export function explainConnectError(docker: Docker, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && UNREACHABLE.has(code) && dockerStatus(err) === undefined
    ? new EngineUnreachableError(engineAddress(docker), err)
    : err;
}

/** The HTTP status of a dockerode error (404 no such container/image, 304 already stopped, ...). */
export function dockerStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === "number" ? status : undefined;
}

/** The engine's message of a dockerode error, without dockerode's "(HTTP code 404) ..." prefix. */
export function dockerMessage(err: unknown): string {
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  if (json && typeof json.message === "string") return json.message;
  return err instanceof Error ? err.message : String(err);
}
