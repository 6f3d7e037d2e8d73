/**
 * The rigds the CLI talks to, through the API like any client: `RIG_SERVER` (with
 * `RIG_TOKEN`), else every `rigd-<version>.addr` in RIG_DIR (several versions may run
 * side by side), each with the token rigd keeps beside its addr file
 * (`rigd-<version>.token`) when there is one. Every call carries
 * `authorization: Bearer <token>` when a token is known. `unix:/path` addresses dial the
 * socket.
 */
import { readdir, readFile } from "node:fs/promises";
import type * as http2 from "node:http2";
import * as net from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { LockService } from "../gen/rig/v1/lock_service_pb.js";
import { SuiteService } from "../gen/rig/v1/suite_service_pb.js";

/** One rigd the CLI can call. */
export interface RigdEndpoint {
  /** `127.0.0.1:PORT` or `unix:/path`. */
  readonly address: string;
  /** Where the address came from (`RIG_SERVER` or the addr file). */
  readonly source: string;
  readonly client: Client<typeof EnvironmentService>;
  /** The token its calls carry, when one is known (`rig ui` hands it to the browser). */
  readonly token: string | undefined;
  readonly locks: Client<typeof LockService>;
  readonly suites: Client<typeof SuiteService>;
}

/** RIG_DIR, default ~/.rig. */
export function rigDirOf(env: NodeJS.ProcessEnv): string {
  return resolve(env.RIG_DIR || join(homedir(), ".rig"));
}

/** The rigds named by RIG_SERVER or by the addr files of RIG_DIR (unchecked: a dead one fails its calls). */
export async function rigdEndpoints(env: NodeJS.ProcessEnv): Promise<RigdEndpoint[]> {
  if (env.RIG_SERVER) return [endpoint(env.RIG_SERVER, "RIG_SERVER", env.RIG_TOKEN)];
  const dir = rigDirOf(env);
  const names = await readdir(dir).catch(() => [] as string[]);
  const found: RigdEndpoint[] = [];
  const seen = new Set<string>();
  for (const name of names.filter((n) => /^rigd-.+\.addr$/.test(n)).sort()) {
    const addrFile = join(dir, name);
    const address = (await readFile(addrFile, "utf8").catch(() => "")).trim();
    if (!address || seen.has(address)) continue;
    seen.add(address);
    const tokenFile = addrFile.replace(/\.addr$/, ".token");
    const token = env.RIG_TOKEN || (await readFile(tokenFile, "utf8").catch(() => "")).trim() || undefined;
    found.push(endpoint(address, addrFile, token));
  }
  return found;
}

function endpoint(address: string, source: string, token: string | undefined): RigdEndpoint {
  const trimmed = address.trim();
  const socketPath = trimmed.startsWith("unix:") ? trimmed.slice("unix:".length) : undefined;
  const baseUrl = socketPath !== undefined ? "http://localhost" : /^https?:\/\//.test(trimmed) ? trimmed : `http://${trimmed}`;
  const nodeOptions: http2.ClientSessionOptions = socketPath !== undefined ? { createConnection: () => net.connect({ path: socketPath }) } : {};
  const interceptors: Interceptor[] = token ? [bearer(token)] : [];
  const transport = createGrpcTransport({ baseUrl, nodeOptions, interceptors });
  return { address: trimmed, source, client: createClient(EnvironmentService, transport), token, locks: createClient(LockService, transport), suites: createClient(SuiteService, transport) };
}

/** Sends `authorization: Bearer <token>` on every call. */
function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}
