/**
 * The state of one environment, built by applying its events in order. The same model
 * serves a live environment (events from WatchEvents) and a replay (events from a
 * recorded `events.jsonl`, applied up to the chosen moment), so both show the same thing.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event, Header } from "../../src/gen/rig/v1/event_pb.js";
import { DownReason, LogStream } from "../../src/gen/rig/v1/event_pb.js";

/** Where a service is, as the dashboard colours it. */
export type Phase =
  | "pending" | "published" | "prestart" | "starting" | "healthy" | "init" | "ready"
  | "failed" | "stopping" | "stopped";

/** One row of a service's timeline: a phase entered at a moment. */
export interface PhaseMark {
  readonly phase: Phase;
  readonly at: number;
}

/** One service (internal proxies are kept out of the graph but feed its edges). */
export interface ServiceModel {
  readonly name: string;
  readonly type: string;
  readonly dependsOn: readonly string[];
  phase: Phase;
  readonly marks: PhaseMark[];
  ingresses: Record<string, string>;
  egresses: Record<string, string>;
  command: string;
  error: string;
  stderrTail: string[];
  exitCode: number | undefined;
  logLines: number;
}

/** An edge of the graph: a service calling another (through a proxy when observed). */
export interface EdgeModel {
  readonly source: string;
  readonly target: string;
  calls: number;
  errors: number;
}

/** One HTTP exchange, gRPC call or TCP connection. */
export interface TrafficEntry {
  readonly n: number;
  readonly seq: bigint;
  readonly at: number;
  readonly kind: "http" | "grpc" | "tcp";
  readonly source: string;
  readonly target: string;
  readonly ingress: string;
  /** `GET /orders`, `echo.Echo/Say`, `tcp`. */
  readonly what: string;
  /** `200`, `OK`, `NOT_FOUND (5)`, `closed`. */
  readonly status: string;
  readonly failed: boolean;
  readonly latencyMs: number;
  readonly event: Event;
}

/** One line of service output. */
export interface LogLine {
  readonly seq: bigint;
  readonly at: number;
  readonly service: string;
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

/** A moment worth a marker on the timeline. */
export interface Marker {
  readonly at: number;
  readonly kind: "up" | "note" | "hook" | "callback" | "failing" | "down" | "stall";
  readonly service: string;
  readonly text: string;
}

export type Outcome = "starting" | "up" | "failing" | "destroying" | "passed" | "failed" | "down";

const GRPC_CODES = [
  "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
  "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
];

/** How many traffic entries and output lines a model keeps (the oldest go first). */
export interface Keep {
  readonly traffic: number;
  readonly logs: number;
}

/** A recorded run is bounded by its file: keep everything. */
export const KEEP_ALL: Keep = { traffic: Infinity, logs: Infinity };
/**
 * A page following a live environment for hours keeps a bounded tail (the rest is in the
 * run's log: `rig traffic`, `rig logs`), so its memory stays flat.
 */
export const KEEP_LIVE: Keep = { traffic: 10_000, logs: 20_000 };

/** The state of one environment after the events applied so far. */
export class RunModel {
  id = "";
  name = "";
  outcome: Outcome = "starting";
  createdAt = 0;
  upAt: number | undefined;
  endedAt: number | undefined;
  lastAt = 0;
  lastSeq = 0n;
  applied = 0;
  failedService = "";
  failure = "";
  stderrTail: string[] = [];
  summary = "";
  readonly services = new Map<string, ServiceModel>();
  readonly edges = new Map<string, EdgeModel>();
  readonly traffic: TrafficEntry[] = [];
  readonly logs: LogLine[] = [];
  readonly markers: Marker[] = [];
  /** Traffic entries and output lines no longer kept (see Keep). */
  droppedTraffic = 0;
  droppedLogs = 0;

  constructor(private readonly keep: Keep = KEEP_ALL) {}

  /** The traffic entry numbered n (1-based, counting dropped ones), if still kept. */
  trafficEntry(n: number): TrafficEntry | undefined {
    return this.traffic[n - 1 - this.droppedTraffic];
  }

  /** Services a user declared, in declaration order (no proxies, `~test` last). */
  visibleServices(): ServiceModel[] {
    return [...this.services.values()].filter((s) => !s.name.startsWith("~proxy."));
  }

  /** Applies one event; events must come in sequence order. */
  apply(event: Event): void {
    if (event.seq <= this.lastSeq && this.applied > 0) return;
    this.applied++;
    this.lastSeq = event.seq;
    const at = event.time ? timestampMs(event.time) : this.lastAt;
    this.lastAt = Math.max(this.lastAt, at);
    if (!this.id) this.id = event.environmentId;
    const svc = event.service ? this.service(event.service) : undefined;
    const p = event.payload;
    switch (p.case) {
      case "environmentCreated":
        this.name = p.value.name;
        this.createdAt = at;
        for (const s of p.value.services) {
          this.services.set(s.name, newService(s.name, s.type, s.dependsOn));
        }
        for (const s of p.value.services) {
          if (s.name.startsWith("~proxy.")) continue;
          for (const dep of s.dependsOn) {
            if (dep.startsWith("~proxy.")) continue;
            this.edges.set(`${s.name}->${dep}`, { source: s.name, target: dep, calls: 0, errors: 0 });
          }
        }
        break;
      case "ingressPublished":
        if (svc) {
          svc.ingresses = Object.fromEntries(Object.entries(p.value.ingresses).map(([k, e]) => [k, `${e.host}:${e.port}`]));
          mark(svc, "published", at);
        }
        break;
      case "wiringResolved":
        if (svc && p.value.wiring) {
          svc.egresses = Object.fromEntries(Object.entries(p.value.wiring.egresses).map(([k, e]) => [k, `${e.host}:${e.port}`]));
        }
        break;
      case "servicePrestart":
        if (svc) mark(svc, "prestart", at);
        break;
      case "serviceStarting":
        if (svc) {
          mark(svc, "starting", at);
          svc.command = p.value.detail || (p.value.pid ? `pid ${p.value.pid}` : "");
        }
        break;
      case "serviceHealthy":
        if (svc) mark(svc, "healthy", at);
        break;
      case "serviceInit":
        if (svc) mark(svc, "init", at);
        if (svc && p.value.hooks > 0) this.markers.push({ at, kind: "hook", service: svc.name, text: `${p.value.hooks} init hook(s)` });
        break;
      case "serviceReady":
        if (svc) mark(svc, "ready", at);
        break;
      case "serviceFailed":
        if (svc) {
          mark(svc, "failed", at);
          svc.error = p.value.reason;
          svc.stderrTail = [...p.value.stderrTail];
        }
        break;
      case "serviceStopping":
        if (svc && svc.phase !== "failed") mark(svc, "stopping", at);
        break;
      case "serviceStopped":
        if (svc) {
          if (svc.phase !== "failed") mark(svc, "stopped", at);
          svc.exitCode = p.value.exitCode;
        }
        break;
      case "serviceLog":
        if (svc) svc.logLines++;
        this.logs.push({
          seq: event.seq,
          at,
          service: event.service,
          stream: p.value.stream === LogStream.STDERR ? "stderr" : "stdout",
          line: p.value.line,
        });
        this.droppedLogs += trim(this.logs, this.keep.logs);
        break;
      case "serviceError":
        if (svc) svc.error = p.value.error;
        break;
      case "environmentUp":
        this.outcome = "up";
        this.upAt = at;
        this.markers.push({ at, kind: "up", service: "", text: "environment.up" });
        break;
      case "environmentFailing":
        this.outcome = "failing";
        this.failedService = p.value.service;
        this.failure = p.value.reason;
        this.markers.push({ at, kind: "failing", service: p.value.service, text: p.value.reason });
        break;
      case "environmentDestroying":
        if (this.outcome !== "failing") this.outcome = "destroying";
        break;
      case "environmentDown": {
        const d = p.value;
        this.endedAt = at;
        this.summary = d.summary;
        const failed = d.reason === DownReason.FAILED || d.testFailed;
        this.outcome = failed ? "failed" : "passed";
        if (d.failedService) this.failedService = d.failedService;
        if (d.error) this.failure = d.error;
        if (d.stderrTail.length) this.stderrTail = [...d.stderrTail];
        this.markers.push({ at, kind: "down", service: "", text: d.summary.split("\n")[0] ?? "down" });
        break;
      }
      case "progressStall":
        this.markers.push({ at, kind: "stall", service: "", text: p.value.message });
        break;
      case "callbackRequest":
        this.markers.push({ at, kind: "callback", service: p.value.service, text: `${p.value.phase} ${p.value.name}` });
        break;
      case "testNote":
        this.markers.push({ at, kind: "note", service: event.service, text: p.value.message });
        break;
      case "requestCompleted": {
        const r = p.value;
        const failed = r.error !== "" || r.status >= 500 || r.status === 0;
        this.addTraffic(event, at, "http", r.source, r.target, r.ingress, `${r.method} ${r.path}`,
          r.error ? `error` : String(r.status), failed, r.latency);
        break;
      }
      case "grpcCallCompleted": {
        const g = p.value;
        const code = GRPC_CODES[g.statusCode] ?? String(g.statusCode);
        this.addTraffic(event, at, "grpc", g.source, g.target, g.ingress, `${g.grpcService}/${g.method}`, code, g.statusCode !== 0, g.latency);
        break;
      }
      case "connectionClosed": {
        const c = p.value;
        this.addTraffic(event, at, "tcp", c.source, c.target, c.ingress, `tcp ${c.bytesSent}B out / ${c.bytesReceived}B in`,
          c.error ? "error" : "closed", c.error !== "", c.duration);
        break;
      }
      default:
        break;
    }
  }

  private addTraffic(
    event: Event, at: number, kind: TrafficEntry["kind"], source: string, target: string, ingress: string,
    what: string, status: string, failed: boolean, latency: { seconds: bigint; nanos: number } | undefined,
  ): void {
    const latencyMs = latency ? Number(latency.seconds) * 1000 + latency.nanos / 1e6 : 0;
    this.traffic.push({ n: this.droppedTraffic + this.traffic.length + 1, seq: event.seq, at, kind, source, target, ingress, what, status, failed, latencyMs, event });
    this.droppedTraffic += trim(this.traffic, this.keep.traffic);
    const key = `${source}->${target}`;
    let edge = this.edges.get(key);
    if (!edge) {
      edge = { source, target, calls: 0, errors: 0 };
      this.edges.set(key, edge);
    }
    edge.calls++;
    if (failed) edge.errors++;
  }

  private service(name: string): ServiceModel {
    let s = this.services.get(name);
    if (!s) {
      s = newService(name, "", []);
      this.services.set(name, s);
    }
    return s;
  }
}

function newService(name: string, type: string, dependsOn: readonly string[]): ServiceModel {
  return {
    name, type, dependsOn: [...dependsOn], phase: "pending", marks: [], ingresses: {}, egresses: {},
    command: "", error: "", stderrTail: [], exitCode: undefined, logLines: 0,
  };
}

function mark(s: ServiceModel, phase: Phase, at: number): void {
  s.phase = phase;
  s.marks.push({ phase, at });
}

/** Headers as `name: value` lines. */
export function headerLines(headers: readonly Header[]): string {
  return headers.map((h) => `${h.name}: ${h.value}`).join("\n");
}

/** A body as text: pretty JSON when it parses, UTF-8 text otherwise, a size for binary. */
export function bodyText(body: Uint8Array, truncated: boolean): string {
  if (body.length === 0) return "(empty)";
  const text = new TextDecoder("utf-8", { fatal: false }).decode(body);
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    // not JSON: shown as text
  }
  return truncated ? `${shown}\n… (truncated)` : shown;
}

/** Pretty JSON of a decoded gRPC message (already JSON text). */
export function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * Drops the oldest items past `keep`, a tenth of it at a time so a busy stream does not
 * shift the array on every item; returns how many went.
 */
function trim(items: unknown[], keep: number): number {
  if (items.length <= keep + Math.ceil(keep / 10)) return 0;
  const cut = items.length - keep;
  items.splice(0, cut);
  return cut;
}
