/**
 * Headers and gRPC metadata as the repeated `Header` messages events carry.
 */
import { create } from "@bufbuild/protobuf";
import type { IncomingHttpHeaders } from "node:http2";
import { type Header, HeaderSchema } from "../gen/rig/v1/event_pb.js";

/** Headers from Node's `rawHeaders` ([name, value, name, value, ...]), order and case kept. */
export function headersFromRaw(raw: readonly string[]): Header[] {
  const out: Header[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    out.push(create(HeaderSchema, { name: raw[i] as string, value: raw[i + 1] as string }));
  }
  return out;
}

/** HTTP/2 headers without pseudo-headers (`:path`, `:status`, ...). */
export function headersFromHttp2(headers: IncomingHttpHeaders | undefined): Header[] {
  const out: Header[] = [];
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) {
      out.push(create(HeaderSchema, { name, value: String(v) }));
    }
  }
  return out;
}
