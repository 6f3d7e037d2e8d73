/**
 * Builds the `grpc.call.completed` payload of the gRPC proxy as typed object literals
 * (protobuf-es v2 messages are plain objects tagged with `$typeName`), like
 * `request-event.ts` does for HTTP: `create()` initialises by reflection, and one call's
 * event with its metadata took about a dozen of them on the proxy's hot path. The type
 * annotations keep this honest: a field added to the proto is a compile error here.
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { IncomingHttpHeaders } from "node:http2";
import type { GrpcCallCompleted, Header } from "../gen/rig/v1/event_pb.js";
import type { ProxyEdge } from "./proxy-contract.js";

/** What one call saw before counting its messages. */
export interface CallHead {
  readonly path: string;
  /** performance.now() when the call arrived. */
  readonly started: number;
  readonly status: number;
  readonly message: string;
  readonly requestHeaders: IncomingHttpHeaders;
  readonly responseHeaders: IncomingHttpHeaders | undefined;
  readonly trailers: IncomingHttpHeaders | undefined;
}

/** What one call saw, as the event reports it (decoding is filled in afterwards). */
export interface CallFacts extends CallHead {
  readonly requestMessages: number;
  readonly responseMessages: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

/**
 * The event of one call on `edge`, latency running until now; `requestJson`,
 * `responseJson` and `decodeError` are left empty for the decoding step.
 */
export function grpcCallCompletedEvent(edge: ProxyEdge, facts: CallFacts): GrpcCallCompleted {
  const [, grpcService = "", method = ""] = /^\/([^/]*)\/(.*)$/.exec(facts.path) ?? [];
  const responseMetadata: Header[] = [];
  metadataInto(responseMetadata, facts.responseHeaders);
  metadataInto(responseMetadata, facts.trailers);
  const requestMetadata: Header[] = [];
  metadataInto(requestMetadata, facts.requestHeaders);
  return {
    $typeName: "rig.v1.GrpcCallCompleted",
    source: edge.source,
    target: edge.target,
    ingress: edge.ingress,
    grpcService,
    method,
    statusCode: facts.status,
    statusMessage: facts.message,
    latency: elapsedSince(facts.started),
    requestMetadata,
    responseMetadata,
    requestMessages: facts.requestMessages,
    responseMessages: facts.responseMessages,
    requestJson: [],
    responseJson: [],
    requestBytes: BigInt(facts.requestBytes),
    responseBytes: BigInt(facts.responseBytes),
    decodeError: "",
  };
}

/** Appends HTTP/2 headers without pseudo-headers (`:path`, `:status`, ...), as `header-list.ts` lists them. */
function metadataInto(out: Header[], headers: IncomingHttpHeaders | undefined): void {
  if (!headers) return;
  for (const name in headers) {
    const value = headers[name];
    if (name.startsWith(":") || value === undefined) continue;
    if (Array.isArray(value)) {
      for (const v of value) out.push({ $typeName: "rig.v1.Header", name, value: String(v) });
    } else {
      out.push({ $typeName: "rig.v1.Header", name, value: String(value) });
    }
  }
}

/** The time since `start` (a performance.now() reading) in whole nanoseconds, as `elapsed.ts` computes it. */
function elapsedSince(start: number): Duration {
  const totalNanos = Math.max(0, Math.round((performance.now() - start) * 1e6));
  const seconds = Math.floor(totalNanos / 1e9);
  return { $typeName: "google.protobuf.Duration", seconds: BigInt(seconds), nanos: totalNanos - seconds * 1e9 };
}
