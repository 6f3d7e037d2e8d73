/**
 * The mutable runtime state of one service inside a running environment: its phase,
 * endpoints, running handle, cleanups and output tails. Owned by EnvironmentRun.
 */
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { ServicePhase } from "../gen/rig/v1/environment_service_pb.js";
import type { Kept, PublishedEndpoint, RunningService, ServiceType } from "../contract/service-type.js";
import type { PlannedService } from "../contract/plan.js";

const STDERR_TAIL = 20;
const LAST_LINES = 10;

/** Lower-case phase name for messages and snapshots. */
export function phaseName(phase: ServicePhase): string {
  return (ServicePhase[phase] ?? "unknown").toLowerCase();
}

export class ServiceRuntime {
  phase: ServicePhase = ServicePhase.PENDING;
  /** What the service waits for, or how to say it when asked (a lock's holders change while it waits). */
  #waitingFor: string | (() => string) = "";
  /** Endpoints as the type published them (attribute templates unresolved). */
  published: Record<string, PublishedEndpoint> = {};
  /** What each egress target published, by egress name (set at publish). */
  egressTemplates: Record<string, PublishedEndpoint> = {};
  /** Resolved endpoints of the service's own ingresses. */
  endpoints: Record<string, Endpoint> = {};
  /** Resolved endpoints the service was told about its egresses. */
  egressEndpoints: Record<string, Endpoint> = {};
  tempDir = "";
  running: RunningService | undefined;
  /** Stopped by a StopService/RestartService call: its exit is no failure. */
  stoppedOnRequest = false;
  error = "";
  /** Cleanups registered through onRelease, run in reverse order at teardown. */
  readonly releases: (() => Promise<Kept> | Kept)[] = [];
  readonly ports: number[] = [];
  readonly artifacts = new Map<string, unknown>();
  readonly stderrTail: string[] = [];
  /** Bytes of output kept in the log and dropped over the limits. */
  readonly output = { kept: 0, dropped: 0 };
  readonly lastLines: string[] = [];
  /** Resolves when the service is ready (service.ready published). */
  readonly ready: Promise<void>;
  /** Resolves `ready`. */
  readonly markReady: () => void;
  /** The lifecycle promise (settles when the service is ready or gave up). */
  lifecycle: Promise<void> = Promise.resolve();

  constructor(
    readonly planned: PlannedService,
    readonly type: ServiceType,
  ) {
    let resolve!: () => void;
    this.ready = new Promise<void>((r) => (resolve = r));
    this.markReady = resolve;
  }

  /** What the service waits for right now (for progress.stall). */
  get waitingFor(): string {
    return typeof this.#waitingFor === "function" ? this.#waitingFor() : this.#waitingFor;
  }

  set waitingFor(what: string | (() => string)) {
    this.#waitingFor = what;
  }

  get name(): string {
    return this.planned.name;
  }

  /** Records an output line in the tails used by failure summaries and stall reports. */
  noteOutput(line: string, isStderr: boolean): void {
    this.lastLines.push(line);
    if (this.lastLines.length > LAST_LINES) this.lastLines.shift();
    if (isStderr) {
      this.stderrTail.push(line);
      if (this.stderrTail.length > STDERR_TAIL) this.stderrTail.shift();
    }
  }

}
