/**
 * A run's diagnosis, built from its events in one pass: outcome, the failing service
 * with its phase, error and output tail, the test's notes (failed assertions), traffic
 * errors, stall snapshots and the time each service spent in each phase. `rig explain`
 * prints it; `--json` gives it as is.
 */
import { DownReason, LogStream, type Event } from "../gen/rig/v1/event_pb.js";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { eventMs, outcomeOf, type Outcome } from "./run-outcome.js";
import { TrafficCounter, errorText, statusText, whatText } from "./traffic-entry.js";

/** How many output lines of a service the diagnosis keeps. */
const OUTPUT_TAIL = 10;
/** How many traffic errors it lists (all are counted). */
const MAX_TRAFFIC_ERRORS = 20;

/** Time a service spent per phase, in ms from the environment's creation (null: not reached). */
export interface PhaseTimes {
  readonly service: string;
  readonly type: string;
  /** Created -> ingress.published: waiting for egress targets (and artifacts). */
  readonly waitMs: number | null;
  /** Published -> service.starting: wiring and prestart hooks. */
  readonly prestartMs: number | null;
  /** service.starting -> service.healthy: the process starting until readiness passed. */
  readonly startMs: number | null;
  /** service.healthy -> service.ready: init hooks. */
  readonly initMs: number | null;
  /** Created -> service.ready. */
  readonly readyAtMs: number | null;
  readonly failedInPhase?: string;
}

/** Everything `rig explain` reports. */
export interface Diagnosis {
  readonly id: string;
  readonly name: string;
  readonly outcome: Outcome;
  readonly reason: string;
  readonly summary: string;
  readonly started: string;
  readonly durationMs: number | null;
  readonly testFailed: boolean;
  readonly failure?: {
    readonly service: string;
    readonly phase: string;
    readonly error: string;
    readonly stderrTail: readonly string[];
    readonly outputTail: readonly string[];
  };
  readonly notes: readonly { readonly atMs: number; readonly level: string; readonly message: string }[];
  readonly trafficCalls: number;
  readonly trafficErrorCount: number;
  readonly trafficErrors: readonly {
    readonly n: number;
    readonly kind: string;
    readonly source: string;
    readonly target: string;
    readonly what: string;
    readonly status: string;
    readonly error: string;
    readonly latencyMs: number;
  }[];
  readonly stalls: readonly {
    readonly atMs: number;
    readonly message: string;
    readonly services: readonly { service: string; phase: string; waitingFor: string; lastLogLines: readonly string[] }[];
  }[];
  readonly artifacts: readonly { readonly key: string; readonly result: string; readonly ms: number | null }[];
  readonly phases: readonly PhaseTimes[];
}

interface ServiceTrack {
  type: string;
  at: Partial<Record<"published" | "starting" | "healthy" | "ready", number>>;
  failedPhase?: string;
  output: string[];
}

/** Builds a diagnosis from a run's events (fed in log order). */
export class DiagnosisBuilder {
  private id = "";
  private name = "";
  private startMs = 0;
  private lastMs = 0;
  private down?: Extract<Event["payload"], { case: "environmentDown" }>["value"];
  private failure?: { service: string; phase: string; error: string; stderrTail: string[] };
  private readonly services = new Map<string, ServiceTrack>();
  private readonly notes: { atMs: number; level: string; message: string }[] = [];
  private readonly trafficErrors: Diagnosis["trafficErrors"][number][] = [];
  private trafficErrorCount = 0;
  private readonly traffic = new TrafficCounter();
  private trafficCalls = 0;
  private readonly stalls: Diagnosis["stalls"][number][] = [];
  private readonly artifacts = new Map<string, { key: string; result: string; startMs?: number; ms: number | null }>();

  /** Takes one event. */
  add(event: Event): void {
    const at = eventMs(event);
    if (!this.id) {
      this.id = event.environmentId;
      this.startMs = at;
    }
    this.lastMs = at;
    const rel = at - this.startMs;
    const call = this.traffic.entry(event);
    if (call) {
      this.trafficCalls++;
      if (!call.ok) {
        this.trafficErrorCount++;
        if (this.trafficErrors.length < MAX_TRAFFIC_ERRORS) {
          this.trafficErrors.push({
            n: call.n, kind: call.kind, source: call.source, target: call.target, what: whatText(call),
            status: statusText(call), error: errorText(call), latencyMs: call.latencyMs,
          });
        }
      }
      return;
    }
    const p = event.payload;
    const track = event.service ? this.services.get(event.service) : undefined;
    switch (p.case) {
      case "environmentCreated":
        this.name = p.value.name;
        for (const s of p.value.services) if (!s.name.startsWith("~")) this.services.set(s.name, { type: s.type, at: {}, output: [] });
        break;
      case "ingressPublished":
        if (track) track.at.published ??= rel;
        break;
      case "serviceStarting":
        if (track) track.at.starting ??= rel;
        break;
      case "serviceHealthy":
        if (track) track.at.healthy ??= rel;
        break;
      case "serviceReady":
        if (track) track.at.ready ??= rel;
        break;
      case "serviceFailed":
        if (track) track.failedPhase = p.value.phase;
        this.failure ??= { service: event.service, phase: p.value.phase, error: p.value.reason, stderrTail: [...p.value.stderrTail] };
        break;
      case "serviceError":
        this.failure ??= { service: event.service, phase: "running", error: p.value.error, stderrTail: [] };
        break;
      case "serviceLog":
        if (track) {
          track.output.push(`${p.value.stream === LogStream.STDERR ? "!" : "|"} ${p.value.line}`);
          if (track.output.length > OUTPUT_TAIL) track.output.shift();
        }
        break;
      case "testNote":
        this.notes.push({ atMs: rel, level: p.value.level, message: p.value.message });
        break;
      case "progressStall":
        this.stalls.push({
          atMs: rel,
          message: p.value.message,
          services: p.value.services.map((s) => ({ service: s.service, phase: s.phase, waitingFor: s.waitingFor, lastLogLines: [...s.lastLogLines] })),
        });
        break;
      case "artifactStarted":
        this.artifacts.set(p.value.key, { key: p.value.key, result: "started", startMs: rel, ms: null });
        break;
      case "artifactCompleted":
        this.artifacts.set(p.value.key, { key: p.value.key, result: "resolved", ms: p.value.duration ? durationMs(p.value.duration) : null });
        break;
      case "artifactCached":
        this.artifacts.set(p.value.key, { key: p.value.key, result: "cached", ms: 0 });
        break;
      case "artifactFailed":
        this.artifacts.set(p.value.key, { key: p.value.key, result: `failed: ${p.value.error}`, ms: null });
        this.failure ??= { service: event.service, phase: "artifacts", error: p.value.error, stderrTail: [] };
        break;
      case "environmentDown":
        this.down = p.value;
        break;
    }
  }

  /** The diagnosis of everything added so far. */
  result(): Diagnosis {
    const failure = this.failure ?? (this.down?.failedService ? { service: this.down.failedService, phase: "", error: this.down.error, stderrTail: [...this.down.stderrTail] } : undefined);
    const span = (a: number | undefined, b: number | undefined): number | null => (a === undefined || b === undefined ? null : b - a);
    return {
      id: this.id,
      name: this.name,
      outcome: outcomeOf(this.down),
      reason: this.down ? (DownReason[this.down.reason] ?? "UNSPECIFIED").toLowerCase() : "unfinished",
      summary: this.down?.summary ?? "",
      started: new Date(this.startMs).toISOString(),
      durationMs: this.down ? this.lastMs - this.startMs : null,
      testFailed: this.down?.testFailed ?? false,
      failure: failure && { ...failure, outputTail: this.services.get(failure.service)?.output ?? [] },
      notes: this.notes,
      trafficCalls: this.trafficCalls,
      trafficErrorCount: this.trafficErrorCount,
      trafficErrors: this.trafficErrors,
      stalls: this.stalls,
      artifacts: [...this.artifacts.values()].map(({ key, result, ms }) => ({ key, result, ms })),
      phases: [...this.services].map(([service, t]) => ({
        service,
        type: t.type,
        waitMs: t.at.published ?? null,
        prestartMs: span(t.at.published, t.at.starting),
        startMs: span(t.at.starting, t.at.healthy),
        initMs: span(t.at.healthy, t.at.ready),
        readyAtMs: t.at.ready ?? null,
        ...(t.failedPhase ? { failedInPhase: t.failedPhase } : {}),
      })),
    };
  }
}
