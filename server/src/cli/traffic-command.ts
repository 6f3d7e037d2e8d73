/**
 * `rig traffic RUN [--edge "api->db"] [--status 5xx] [--slow 100ms] [--grpc|--http|--tcp]
 * [--detail N] [--json]`: one line per HTTP exchange, gRPC call and TCP connection the
 * observing proxies recorded, streamed from the run's events.jsonl; `--detail N` shows
 * call N in full (headers or metadata, bodies: JSON pretty-printed, text as is, binary as hex).
 */
import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import {
  ConnectionClosedSchema,
  GrpcCallCompletedSchema,
  KafkaFetchedSchema,
  KafkaProducedSchema,
  RequestCompletedSchema,
  type Header,
  type KafkaFetched,
  type KafkaProduced,
} from "../gen/rig/v1/event_pb.js";
import type { CliOutput } from "./cli-output.js";
import { formatBytes } from "../events/event-text.js";
import { clockTime, formatDurationMs, parseDurationFlag } from "../diagnosis/duration-text.js";
import { readEvents } from "./event-file.js";
import { rigDirOf } from "./rigd-connection.js";
import { findRun } from "./run-store.js";
import { TrafficCounter, errorText, nodeName, statusText, whatText, type TrafficEntry } from "../diagnosis/traffic-entry.js";
import { UsageError } from "./usage-error.js";


/** Which calls to show. */
export interface TrafficFilter {
  readonly edge?: { source?: string; target?: string };
  readonly status?: (entry: TrafficEntry) => boolean;
  readonly slowMs?: number;
  readonly kinds?: ReadonlySet<TrafficEntry["kind"]>;
}

/** Runs the command; resolves to the exit code. */
export async function trafficCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      edge: { type: "string", short: "e" },
      status: { type: "string" },
      slow: { type: "string" },
      grpc: { type: "boolean" },
      http: { type: "boolean" },
      tcp: { type: "boolean" },
      detail: { type: "string", short: "d" },
      json: { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("rig traffic needs one RUN");
  const filter = trafficFilter(values);
  const detail = values.detail === undefined ? undefined : Number(values.detail);
  if (detail !== undefined && (!Number.isInteger(detail) || detail < 1)) throw new UsageError(`--detail wants a call number (1, 2, ...), got "${values.detail}"`);
  const run = await findRun(rigDirOf(out.io.env), positionals[0]!);

  const counter = new TrafficCounter();
  for await (const event of readEvents(run.eventLogPath)) {
    const entry = counter.entry(event);
    if (!entry) continue;
    if (detail !== undefined) {
      if (entry.n !== detail) continue;
      if (values.json) await out.line(JSON.stringify(entryJson(entry)));
      else for (const line of detailLines(entry, out)) await out.line(line);
      return 0;
    }
    if (!matches(entry, filter)) continue;
    await out.line(values.json ? JSON.stringify(entryJson(entry)) : trafficLine(entry, out));
  }
  if (detail !== undefined) {
    out.warn(`rig: run ${run.id} has no call #${detail}`);
    return 1;
  }
  return 0;
}

/** The filter the flags describe. */
export function trafficFilter(values: { edge?: string; status?: string; slow?: string; grpc?: boolean; http?: boolean; tcp?: boolean }): TrafficFilter {
  let edge: TrafficFilter["edge"];
  if (values.edge !== undefined) {
    const parts = values.edge.split("->").map((p) => p.trim());
    if (parts.length !== 2) throw new UsageError(`--edge wants "source->target" (either side may be empty), got "${values.edge}"`);
    edge = { source: parts[0] || undefined, target: parts[1] || undefined };
  }
  const kinds = new Set<TrafficEntry["kind"]>();
  if (values.grpc) kinds.add("grpc");
  if (values.http) kinds.add("http");
  if (values.tcp) kinds.add("tcp");
  let slowMs: number | undefined;
  try {
    slowMs = values.slow === undefined ? undefined : parseDurationFlag(values.slow);
  } catch (err) {
    throw new UsageError(`--slow: ${(err as Error).message}`);
  }
  return { edge, status: values.status === undefined ? undefined : statusFilter(values.status), slowMs, kinds: kinds.size ? kinds : undefined };
}

/** `5xx`, `4xx`, `404`, `error` (any failed call: HTTP >= 400, gRPC non-OK, TCP error), `ok`, or a gRPC code name. */
function statusFilter(text: string): (entry: TrafficEntry) => boolean {
  const t = text.trim().toLowerCase();
  if (t === "error" || t === "failed") return (e) => !e.ok;
  if (t === "ok") return (e) => e.ok;
  const klass = /^([1-5])xx$/.exec(t);
  if (klass) return (e) => e.kind === "http" && Math.floor(e.call.status / 100) === Number(klass[1]);
  if (/^\d{3}$/.test(t)) return (e) => e.kind === "http" && e.call.status === Number(t);
  const name = t.toUpperCase();
  return (e) => e.kind === "grpc" && statusText(e).startsWith(`${name}(`);
}

function sameNode(wanted: string | undefined, actual: string): boolean {
  return wanted === undefined || wanted === actual || wanted === nodeName(actual);
}

/** Whether `entry` passes every part of `filter`. */
export function matches(entry: TrafficEntry, filter: TrafficFilter): boolean {
  if (filter.kinds && !filter.kinds.has(entry.kind)) return false;
  if (filter.edge && !(sameNode(filter.edge.source, entry.source) && sameNode(filter.edge.target, entry.target))) return false;
  if (filter.status && !filter.status(entry)) return false;
  if (filter.slowMs !== undefined && entry.latencyMs < filter.slowMs) return false;
  return true;
}

function sizes(entry: TrafficEntry): string {
  switch (entry.kind) {
    case "http":
      return `${formatBytes(entry.call.requestSize)}/${formatBytes(entry.call.responseSize)}`;
    case "grpc":
      return `${entry.call.requestMessages}/${entry.call.responseMessages} msgs`;
    case "tcp":
      return `${formatBytes(entry.call.bytesSent)}/${formatBytes(entry.call.bytesReceived)}`;
    case "kafka":
      return `${entry.call.recordsTotal} records`;
  }
}

/** One line of the listing. */
export function trafficLine(entry: TrafficEntry, out: CliOutput): string {
  const s = out.style;
  const status = statusText(entry);
  const error = entry.ok ? "" : errorText(entry);
  return [
    s.dim(`#${entry.n}`.padStart(5)),
    s.dim(clockTime(entry.timeMs)),
    `${nodeName(entry.source)} -> ${entry.target}`.padEnd(18),
    whatText(entry),
    entry.ok ? s.green(status) : s.red(status),
    formatDurationMs(entry.latencyMs),
    s.dim(sizes(entry)),
    ...(error ? [s.red(error)] : []),
  ].join("  ");
}

/** The protobuf JSON of the call with its number. */
function entryJson(entry: TrafficEntry): Record<string, unknown> {
  const payload =
    entry.kind === "http"
      ? toJson(RequestCompletedSchema, entry.call)
      : entry.kind === "grpc"
        ? toJson(GrpcCallCompletedSchema, entry.call)
        : entry.kind === "tcp"
          ? toJson(ConnectionClosedSchema, entry.call)
          : entry.op === "produce"
            ? toJson(KafkaProducedSchema, entry.call as KafkaProduced)
            : toJson(KafkaFetchedSchema, entry.call as KafkaFetched);
  return { n: entry.n, kind: entry.kind, time: new Date(entry.timeMs).toISOString(), ...(payload as Record<string, unknown>) };
}

/** Everything recorded of one call. */
export function detailLines(entry: TrafficEntry, out: CliOutput): string[] {
  const s = out.style;
  const lines = [s.bold(trafficLine(entry, out))];
  const headers = (title: string, list: readonly Header[]): void => {
    lines.push(s.bold(title));
    for (const h of list) lines.push(`  ${s.cyan(h.name)}: ${h.value}`);
  };
  switch (entry.kind) {
    case "http":
      headers("request headers", entry.call.requestHeaders);
      lines.push(s.bold(`request body${entry.call.requestBodyTruncated ? " (truncated)" : ""}`), ...bodyLines(entry.call.requestBody));
      headers("response headers", entry.call.responseHeaders);
      lines.push(s.bold(`response body${entry.call.responseBodyTruncated ? " (truncated)" : ""}`), ...bodyLines(entry.call.responseBody));
      break;
    case "grpc":
      headers("request metadata", entry.call.requestMetadata);
      lines.push(s.bold("request messages"), ...messageLines(entry.call.requestJson, entry.call.requestMessages));
      headers("response metadata", entry.call.responseMetadata);
      lines.push(s.bold("response messages"), ...messageLines(entry.call.responseJson, entry.call.responseMessages));
      if (entry.call.statusMessage) lines.push(`${s.bold("status message")} ${entry.call.statusMessage}`);
      if (entry.call.decodeError) lines.push(`${s.bold("not decoded")} ${entry.call.decodeError}`);
      break;
    case "tcp":
      lines.push(`connection ${entry.call.connectionId}: ${entry.call.bytesSent} bytes sent, ${entry.call.bytesReceived} received`);
      if (entry.call.error) lines.push(`${s.bold("error")} ${entry.call.error}`);
      break;
    case "kafka":
      lines.push(s.bold(`records (${entry.call.recordsTotal})`));
      for (const r of entry.call.records) {
        lines.push(`  ${s.cyan(`${r.topic}[${r.partition}]@${r.offset}`)} key=${r.keyText || (r.key ? "(binary)" : "(null)")} ${r.valueSize} bytes${r.valueFormat ? ` ${r.valueFormat}` : ""}`);
        if (r.valueJson) lines.push(...indent(prettyJson(r.valueJson) ?? r.valueJson).map((l) => `  ${l}`));
      }
      if (entry.call.error) lines.push(`${s.bold("error")} ${entry.call.error}`);
      break;
  }
  return lines;
}

function messageLines(json: readonly string[], count: number): string[] {
  if (count === 0) return ["  (none)"];
  if (json.length === 0) return [`  ${count} message(s), not decoded`];
  const lines = json.flatMap((m) => indent(prettyJson(m) ?? m));
  if (count > json.length) lines.push(`  ... ${count - json.length} more`);
  return lines;
}

/** A body as lines: JSON pretty-printed, UTF-8 text as is, anything else as a hex dump. */
export function bodyLines(body: Uint8Array): string[] {
  if (body.length === 0) return ["  (empty)"];
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body);
  const pretty = prettyJson(text);
  if (pretty !== undefined) return indent(pretty);
  // eslint-disable-next-line no-control-regex
  if (!text.includes("\uFFFD") && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return indent(text);
  return hexDump(body);
}

function prettyJson(text: string): string | undefined {
  const t = text.trim();
  if (!t.startsWith("{") && !t.startsWith("[")) return undefined;
  try {
    return JSON.stringify(JSON.parse(t), null, 2);
  } catch {
    return undefined;
  }
}

function indent(text: string): string[] {
  return text.split("\n").map((l) => `  ${l}`);
}

function hexDump(bytes: Uint8Array): string[] {
  const lines: string[] = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = bytes.subarray(offset, offset + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...row].map((b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : ".")).join("");
    lines.push(`  ${offset.toString(16).padStart(6, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines;
}
