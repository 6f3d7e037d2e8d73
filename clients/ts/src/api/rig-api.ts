/**
 * Connect clients for one rigd address, shared by every environment of the process: one
 * HTTP/2 connection for calls, and a second one for the long-lived event streams that is
 * unref'd, so an open stream never keeps a finished test process alive (rigd reaps the
 * environments of a process that went away, SPEC §4).
 */
import type { Client } from "@connectrpc/connect";
import { createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import type * as http2 from "node:http2";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";

/** The rig API of one rigd. */
export interface RigApi {
  /** `host:port` of rigd. */
  readonly address: string;
  /** For calls; the connection keeps the process alive only while a call is in flight. */
  readonly environments: Client<typeof EnvironmentService>;
  /** For WatchEvents streams that must not keep the process alive by themselves. */
  readonly background: Client<typeof EnvironmentService>;
  readonly health: Client<typeof Health>;
}

const apis = new Map<string, RigApi>();

/** The (cached) API clients for a rigd address such as `127.0.0.1:7070` or `http://127.0.0.1:7070`. */
export function rigApi(address: string): RigApi {
  const baseUrl = toBaseUrl(address);
  let api = apis.get(baseUrl);
  if (!api) {
    const transport = createGrpcTransport({ baseUrl });
    const background = createGrpcTransport({
      baseUrl,
      sessionManager: new UnrefSessionManager(new Http2SessionManager(baseUrl)),
    });
    api = {
      address: new URL(baseUrl).host,
      environments: createClient(EnvironmentService, transport),
      background: createClient(EnvironmentService, background),
      health: createClient(Health, transport),
    };
    apis.set(baseUrl, api);
  }
  return api;
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
