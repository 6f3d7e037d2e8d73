/**
 * Connect clients for one rigd address, shared by every environment of the process: one
 * HTTP/2 connection for calls, and a second one for the long-lived event streams that is
 * unref'd, so an open stream never keeps a finished test process alive (rigd reaps the
 * environments of a process that went away, SPEC §4). Every call carries rigd's token
 * (`authorization: Bearer ...`); the address may be `host:port` or `unix:/path/rigd.sock`.
 */
import type { Client, Interceptor } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import type * as http2 from "node:http2";
import * as net from "node:net";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { LockService } from "../gen/rig/v1/lock_service_pb.js";

/** The rig API of one rigd. */
export interface RigApi {
  /** `host:port` of rigd, or `unix:/path` for a unix socket. */
  readonly address: string;
  /** For calls; the connection keeps the process alive only while a call is in flight. */
  readonly environments: Client<typeof EnvironmentService>;
  /** For WatchEvents streams that must not keep the process alive by themselves. */
  readonly background: Client<typeof EnvironmentService>;
  readonly health: Client<typeof Health>;
  /** Declare and list calls of LockService. */
  readonly locks: Client<typeof LockService>;
  /** Acquire streams: a held lock never keeps a finished test process alive. */
  readonly backgroundLocks: Client<typeof LockService>;
}

const apis = new Map<string, RigApi>();

/** The prefix of a unix socket address in the addr file and in RIG_SERVER. */
export const UNIX_PREFIX = "unix:";

/**
 * The (cached) API clients for a rigd address such as `127.0.0.1:7070`,
 * `http://127.0.0.1:7070` or `unix:/run/rigd.sock`, sending `token` on every call.
 */
export function rigApi(address: string, token: string): RigApi {
  const socketPath = address.trim().startsWith(UNIX_PREFIX) ? address.trim().slice(UNIX_PREFIX.length) : undefined;
  // Over a unix socket the URL only names the :authority; the socket is dialled directly.
  const baseUrl = socketPath !== undefined ? "http://localhost" : toBaseUrl(address);
  const key = `${socketPath ?? baseUrl} ${token}`;
  let api = apis.get(key);
  if (!api) {
    const nodeOptions: http2.ClientSessionOptions =
      socketPath !== undefined ? { createConnection: () => net.connect({ path: socketPath }) } : {};
    const interceptors = [bearer(token)];
    const transport = createGrpcTransport({ baseUrl, nodeOptions, interceptors });
    const background = createGrpcTransport({
      baseUrl,
      interceptors,
      sessionManager: new UnrefSessionManager(new Http2SessionManager(baseUrl, undefined, nodeOptions)),
    });
    api = {
      address: socketPath !== undefined ? `${UNIX_PREFIX}${socketPath}` : new URL(baseUrl).host,
      environments: createClient(EnvironmentService, transport),
      background: createClient(EnvironmentService, background),
      health: createClient(Health, transport),
      locks: createClient(LockService, transport),
      backgroundLocks: createClient(LockService, background),
    };
    apis.set(key, api);
  }
  return api;
}

/**
 * Sends `authorization: Bearer <token>` on every call, and `rig-client` naming this test
 * process (rigd's limit of environments per client counts by it).
 */
function bearer(token: string): Interceptor {
  const client = `ts pid ${process.pid}`;
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    req.header.set("rig-client", client);
    return next(req);
  };
}

/** `http://host:port` for an address given with or without a scheme. */
export function toBaseUrl(address: string): string {
  const trimmed = address.trim();
  return /^[a-z]+:\/\//i.test(trimmed) ? trimmed.replace(/\/+$/, "") : `http://${trimmed}`;
}

/**
 * Delegates to a session manager but unrefs the session after each stream opens; the
 * wrapped manager refs a session when its first stream opens.
 */
class UnrefSessionManager {
  constructor(private readonly inner: Http2SessionManager) {}

  get authority(): string {
    return this.inner.authority;
  }

  async request(
    method: string,
    path: string,
    headers: http2.OutgoingHttpHeaders,
    options: Omit<http2.ClientSessionRequestOptions, "signal">,
  ): Promise<http2.ClientHttp2Stream> {
    const stream = await this.inner.request(method, path, headers, options);
    stream.session?.unref();
    return stream;
  }

  notifyResponseByteRead(stream: http2.ClientHttp2Stream): void {
    this.inner.notifyResponseByteRead(stream);
  }
}
