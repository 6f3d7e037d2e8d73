/**
 * The Kafka APIs the proxy reads, and the request header every request starts with.
 *
 * The proxy reads only: ApiVersions (to cap versions), Metadata, FindCoordinator and
 * DescribeCluster (to rewrite broker addresses), Produce and Fetch (to record). It
 * decodes these up to the versions in `READ_UP_TO`, and caps what the broker
 * advertises in ApiVersions to them, so every client negotiates a version the proxy
 * understands (Produce and Fetch stay below v13, where topics are named by id). Every
 * other API passes through untouched.
 */
import { WireReader } from "./wire-reader.js";

/** Keys of the APIs the proxy reads. */
export const API = {
  produce: 0,
  fetch: 1,
  metadata: 3,
  findCoordinator: 10,
  apiVersions: 18,
  describeCluster: 60,
} as const;

/** The newest version of each API the proxy decodes. */
export const READ_UP_TO: Readonly<Record<number, number>> = {
  [API.produce]: 12,
  [API.fetch]: 12,
  [API.metadata]: 12,
  [API.findCoordinator]: 6,
  [API.describeCluster]: 2,
};

/** First flexible version (compact strings, tagged fields) of each API read. */
const FLEXIBLE_FROM: Readonly<Record<number, number>> = {
  [API.produce]: 9,
  [API.fetch]: 12,
  [API.metadata]: 9,
  [API.findCoordinator]: 3,
  [API.apiVersions]: 3,
  [API.describeCluster]: 0,
};

/** True when `version` of `apiKey` uses the flexible encoding. */
export function isFlexible(apiKey: number, version: number): boolean {
  const from = FLEXIBLE_FROM[apiKey];
  return from !== undefined && version >= from;
}

/** What the proxy keeps of a request until its response. */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string;
}

/** Parses a request header; `body` is a reader positioned at the request body. */
export function readRequestHeader(frame: Buffer): { header: RequestHeader; body: WireReader } {
  const r = new WireReader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.string(false) ?? "";
  // Request header v2 (flexible versions) adds tagged fields; only APIs we read need it.
  if (isFlexible(apiKey, apiVersion)) r.taggedFields(true);
  return { header: { apiKey, apiVersion, correlationId, clientId }, body: r };
}

/** A reader at a response body: past the correlation id and, for flexible versions but ApiVersions, the tagged fields. */
export function responseBody(frame: Buffer, request: RequestHeader): WireReader {
  const r = new WireReader(frame, 4);
  if (request.apiKey !== API.apiVersions && isFlexible(request.apiKey, request.apiVersion)) r.taggedFields(true);
  return r;
}
