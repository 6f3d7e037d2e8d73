/**
 * Keeps clients on the proxy: the broker addresses in Metadata, FindCoordinator and
 * DescribeCluster responses are replaced by the proxy's own (rig runs one broker per
 * cluster, so every advertised broker is the proxied one), and ApiVersions responses
 * are capped to the versions the proxy decodes (`READ_UP_TO`).
 *
 * A rewrite splices new bytes over the host and port fields and copies the rest of
 * the frame as it came, so fields the proxy does not know survive untouched.
 */
import { API, READ_UP_TO, isFlexible, responseBody, type RequestHeader } from "./kafka-apis.js";
import { encodeInt32, encodeString, type WireReader } from "./wire-reader.js";

/** Where clients should connect instead of the broker. */
export interface ProxyAddress {
  readonly host: string;
  readonly port: number;
}

interface Splice {
  readonly start: number;
  readonly end: number;
  readonly bytes: Buffer;
}

/** Applies splices (in order, not overlapping) to a frame. */
function splice(frame: Buffer, edits: readonly Splice[]): Buffer {
  if (edits.length === 0) return frame;
  const parts: Buffer[] = [];
  let at = 0;
  for (const edit of edits) {
    parts.push(frame.subarray(at, edit.start), edit.bytes);
    at = edit.end;
  }
  parts.push(frame.subarray(at));
  return Buffer.concat(parts);
}

/** Reads `host` (string) then `port` (int32) and records a splice putting the proxy there. */
function hostPort(r: WireReader, flexible: boolean, to: ProxyAddress, edits: Splice[], keep = false): void {
  const start = r.offset;
  r.string(flexible);
  const port = r.int32();
  if (keep || port < 0) return; // an error answer (node -1, port -1) stays as it is
  edits.push({ start, end: r.offset, bytes: Buffer.concat([encodeString(to.host, flexible), encodeInt32(to.port)]) });
}

/** Metadata: brokers[node_id, host, port, rack?] near the start; the rest is copied. */
function metadata(r: WireReader, v: number, to: ProxyAddress, edits: Splice[]): void {
  const flex = isFlexible(API.metadata, v);
  if (v >= 3) r.int32(); // throttle_time_ms
  const brokers = r.arrayLength(flex);
  for (let i = 0; i < brokers; i++) {
    r.int32(); // node_id
    hostPort(r, flex, to, edits);
    if (v >= 1) r.string(flex); // rack
    r.taggedFields(flex);
  }
}

/** FindCoordinator: one host/port (v0-v3) or coordinators[key, node_id, host, port, ...] (v4+). */
function findCoordinator(r: WireReader, v: number, to: ProxyAddress, edits: Splice[]): void {
  const flex = isFlexible(API.findCoordinator, v);
  if (v >= 1) r.int32(); // throttle_time_ms
  if (v < 4) {
    const errorCode = r.int16();
    if (v >= 1) r.string(flex); // error_message
    r.int32(); // node_id
    hostPort(r, flex, to, edits, errorCode !== 0);
    return;
  }
  const count = r.arrayLength(flex);
  for (let i = 0; i < count; i++) {
    r.string(flex); // key
    r.int32(); // node_id
    const start = r.offset;
    r.string(flex);
    r.int32();
    const errorCode = r.int16();
    const end = r.offset;
    r.offset = start;
    hostPort(r, flex, to, edits, errorCode !== 0);
    r.offset = end;
    r.string(flex); // error_message
    r.taggedFields(flex);
  }
}

/** DescribeCluster: brokers[broker_id, host, port, rack, is_fenced?]. */
function describeCluster(r: WireReader, v: number, to: ProxyAddress, edits: Splice[]): void {
  r.int32(); // throttle_time_ms
  r.int16(); // error_code
  r.string(true); // error_message
  if (v >= 1) r.int8(); // endpoint_type
  r.string(true); // cluster_id
  r.int32(); // controller_id
  const count = r.arrayLength(true);
  for (let i = 0; i < count; i++) {
    r.int32(); // broker_id
    hostPort(r, true, to, edits);
    r.string(true); // rack
    if (v >= 2) r.int8(); // is_fenced
    r.taggedFields(true);
  }
}

/** ApiVersions: api_keys[api_key, min, max]: max lowered in place to what the proxy reads. */
function apiVersions(frame: Buffer, r: WireReader, v: number): void {
  const errorCode = r.int16();
  // A broker answers an unknown ApiVersions version with a v0 body.
  const flex = errorCode === 0 && isFlexible(API.apiVersions, v);
  const count = r.arrayLength(flex);
  for (let i = 0; i < count; i++) {
    const apiKey = r.int16();
    const min = r.int16();
    const maxAt = r.offset;
    const max = r.int16();
    const cap = READ_UP_TO[apiKey];
    if (cap !== undefined && max > cap && min <= cap) frame.writeInt16BE(cap, maxAt);
    r.taggedFields(flex);
  }
}

/** True for the responses this module may change. */
export function rewritesResponse(apiKey: number): boolean {
  return apiKey === API.metadata || apiKey === API.findCoordinator || apiKey === API.describeCluster || apiKey === API.apiVersions;
}

/**
 * The response frame (correlation id first, no size prefix) with broker addresses
 * replaced by `to`; the same buffer when nothing changes. Throws WireError on a frame
 * that does not parse (the caller forwards it unchanged and reports the problem).
 */
export function rewriteResponse(frame: Buffer, request: RequestHeader, to: ProxyAddress): Buffer {
  const r = responseBody(frame, request);
  const v = request.apiVersion;
  const edits: Splice[] = [];
  switch (request.apiKey) {
    case API.apiVersions:
      apiVersions(frame, r, v);
      return frame;
    case API.metadata:
      metadata(r, v, to, edits);
      break;
    case API.findCoordinator:
      findCoordinator(r, v, to, edits);
      break;
    case API.describeCluster:
      describeCluster(r, v, to, edits);
      break;
    default:
      return frame;
  }
  return splice(frame, edits);
}
