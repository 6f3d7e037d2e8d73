/**
 * One line of human-readable text per event: what `rig.log` holds and what the CLI
 * prints. Lifecycle events, service output and every traffic event each get one line;
 * proxy nodes are named by the edge they sit on (`api -> db`), never by their node name.
 */
import type { Duration, Timestamp } from "@bufbuild/protobuf/wkt";
import { LogStream, type Event } from "../gen/rig/v1/event_pb.js";

/** Prefix of the proxy node names the observe transform makes (`~proxy.SOURCE.TARGET.INGRESS`). */
const PROXY_PREFIX = "~proxy.";

/**
 * A service name as a person reads it: a proxy node becomes its edge `source -> target`
 * (`.ingress` when not the default one); other names stay as they are.
 */
export function displayName(service: string): string {
  if (!service.startsWith(PROXY_PREFIX)) return service;
  const [source, target, ingress] = service.slice(PROXY_PREFIX.length).split(".");
  if (!source || !target) return service;
  return edge(source, target, ingress ?? "");
}

/** Replaces every proxy node name inside free text (summaries, stall messages) by its edge. */
export function withEdgeNames(text: string): string {
  return text.replace(/~proxy\.[^\s"'(),:;]+/g, (name) => displayName(name.replace(/\.$/, "")));
}

/**
 * Milliseconds of a Duration, fractions kept (`durationMs` of protobuf-es rounds to whole
 * milliseconds, and most proxied calls take less than one); 0 when unset.
 */
export function preciseMs(duration: Duration | undefined): number {
  return duration ? Number(duration.seconds) * 1000 + duration.nanos / 1e6 : 0;
}

/** `3.1 ms`, `1.2 s`: latencies as people read them. */
export function formatMs(ms: number): string {
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** `812 B`, `4.1 KiB`, `3.0 MiB`. */
export function formatBytes(n: number | bigint): string {
  const b = Number(n);
  if (b < 1024) return `${b} B`;
  if (b < 1024 * 1024) return `${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 * 1024 * 1024) return `${(b / 1024 / 1024).toFixed(1)} MiB`;
  return `${(b / 1024 / 1024 / 1024).toFixed(1)} GiB`;
}

/** gRPC status names by code (grpc/status.h). */
const GRPC_STATUS = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
];

/** The name of a gRPC status code (`OK`, `NOT_FOUND`, ...; `CODE_42` beyond the table). */
export function grpcStatusName(code: number): string {
  return GRPC_STATUS[code] ?? `CODE_${code}`;
}

function edge(source: string, target: string, ingress: string): string {
  return `${source} -> ${target}${ingress && ingress !== "default" ? `.${ingress}` : ""}`;
}

/** The last clock text made: under proxy load many lines share a millisecond. */
let lastClockMs = Number.NaN;
let lastClockText = "";

/** `HH:MM:SS.mmm` (UTC) of a Timestamp, as `timestampDate(t).toISOString()` has it. */
export function utcClock(time: Timestamp): string {
  const ms = Number(time.seconds) * 1000 + Math.round(time.nanos / 1_000_000);
  if (ms === lastClockMs) return lastClockText;
  lastClockMs = ms;
  lastClockText = clockText(ms);
  return lastClockText;
}

function clockText(ms: number): string {
  const day = ((ms % 86_400_000) + 86_400_000) % 86_400_000;
  const two = (n: number): string => (n < 10 ? `0${n}` : String(n));
  const milli = day % 1000;
  return `${two(Math.floor(day / 3_600_000))}:${two(Math.floor(day / 60_000) % 60)}:${two(Math.floor(day / 1000) % 60)}.${milli < 10 ? "00" : milli < 100 ? "0" : ""}${milli}`;
}

/** `[name] ` before a line about a service; nothing for the environment's own. */
function serviceTag(service: string): string {
  return service ? `[${displayName(service)}] ` : "";
}

/** One line of the human-readable log. */
export function formatEvent(event: Event): string {
  // One line per proxied request: no Date per line, and the service name only where shown.
  const time = event.time ? utcClock(event.time) : "";
  const p = event.payload;
  switch (p.case) {
    case "serviceLog":
      return `${time} ${serviceTag(event.service)}${p.value.stream === LogStream.STDERR ? "stderr" : "stdout"}| ${p.value.line}`;
    case "serviceFailed":
      return `${time} ${serviceTag(event.service)}service.failed (${p.value.phase}): ${withEdgeNames(p.value.reason)}`;
    case "environmentDown":
      return `${time} environment.down: ${withEdgeNames(p.value.summary)}`;
    case "progressStall":
      return `${time} progress.stall: ${withEdgeNames(p.value.message)}`;
    case "testNote":
      return `${time} ${serviceTag(event.service)}test.note: ${p.value.message}`;
    case "callbackRequest":
      return `${time} ${serviceTag(event.service)}callback.request ${p.value.phase} "${p.value.name}" (${p.value.requestId})`;
    case "callbackResponse":
      return `${time} ${serviceTag(event.service)}callback.response ${p.value.requestId}${p.value.error ? ` error: ${p.value.error}` : " ok"}`;
    case "serviceStarting":
      return `${time} ${serviceTag(event.service)}service.starting${p.value.pid ? ` pid ${p.value.pid}` : ""}${p.value.detail ? `: ${p.value.detail}` : ""}`;
    case "ingressPublished":
      return `${time} ${serviceTag(event.service)}ingress.published ${Object.entries(p.value.ingresses)
        .map(([n, e]) => `${n}=${e.host}:${e.port}`)
        .join(" ")}`;
    case "requestCompleted": {
      const r = p.value;
      const outcome = r.error ? `error: ${r.error}` : String(r.status);
      return `${time} http ${edge(r.source, r.target, r.ingress)} ${r.method} ${r.path} ${outcome} ${formatMs(preciseMs(r.latency))}`;
    }
    case "grpcCallCompleted": {
      const c = p.value;
      const status = grpcStatusName(c.statusCode);
      const message = c.statusCode !== 0 && c.statusMessage ? ` (${c.statusMessage})` : "";
      return `${time} grpc ${edge(c.source, c.target, c.ingress)} ${c.grpcService}/${c.method} ${status}${message} ${formatMs(preciseMs(c.latency))}`;
    }
    case "connectionOpened": {
      const c = p.value;
      return `${time} tcp ${edge(c.source, c.target, c.ingress)} opened #${c.connectionId}`;
    }
    case "connectionClosed": {
      const c = p.value;
      const took = formatMs(preciseMs(c.duration));
      return `${time} tcp ${edge(c.source, c.target, c.ingress)} ${formatBytes(c.bytesSent)} / ${formatBytes(c.bytesReceived)} ${took}${c.error ? ` error: ${c.error}` : ""}`;
    }
    case "kafkaProduced":
    case "kafkaFetched": {
      const k = p.value;
      const verb = p.case === "kafkaProduced" ? "produce" : "fetch";
      const topics = [...new Set(k.records.map((r) => r.topic))].join(",");
      return `${time} kafka ${edge(k.source, k.target, k.ingress)} ${verb} ${k.recordsTotal} record(s)${topics ? ` ${topics}` : ""} ${formatMs(preciseMs(k.latency))}${k.error ? ` error: ${k.error}` : ""}`;
    }
    default:
      return `${time} ${serviceTag(event.service)}${event.type}`;
  }
}
