/**
 * One running environment: the lifecycle of SPEC §4 from environment.created to
 * environment.down.
 *
 * Services run concurrently, each through the steps of service-lifecycle.ts; each waits
 * for its dependencies' service.ready events in the log rather than sharing state. The
 * first failure aborts the start, tears down in reverse dependency order and records a
 * summary naming the service, the error and its stderr tail. The clocks (TTL, orphan
 * grace, stall reports) live in environment-timers.ts.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import type { ArtifactResolver } from "../artifacts/artifact-resolver.js";
import { CallbackBroker } from "../callbacks/callback-broker.js";
import { type EventFilter, TRAFFIC } from "../events/event-filter.js";
import { EventLog, type EventPayload, type StoredEvent } from "../events/event-log.js";
import {
  DownReason,
  EnvironmentCreatedSchema,
  EnvironmentDestroyingSchema,
  EnvironmentDownSchema,
  EnvironmentFailingSchema,
  EnvironmentUpSchema,
  LogStream,
  ProgressStallSchema,
  ServiceEndpointsSchema,
  ServiceFailedSchema,
  ServiceLogSchema,
  ServiceSnapshotSchema,
  ServiceStoppedSchema,
  ServiceStoppingSchema,
  ServiceSummarySchema,
  type Endpoint,
  type EnvironmentDown,
  type Event,
} from "../gen/rig/v1/event_pb.js";
import {
  EnvironmentSchema,
  EnvironmentState,
  ServicePhase,
  ServiceStateSchema,
  type Environment,
} from "../gen/rig/v1/environment_service_pb.js";
import type { PortAllocator } from "../ports/port-allocator.js";
import type {
  EnvironmentInfo,
  ExitStatus,
} from "../contract/service-type.js";
import type { TypeRegistry } from "../contract/type-registry.js";
import type { ResourceLocks } from "../contract/resource-locks.js";
import { TEST_NODE, type EnvironmentPlan } from "../contract/plan.js";
import { BadRequestError, StateError } from "../contract/errors.js";
import { limitFlag, type Limits } from "../contract/limits.js";
import { displayName, formatBytes, withEdgeNames } from "../events/event-text.js";
import { EnvironmentTimers } from "./environment-timers.js";
import { claimRunDir, removeRunDir, type DirWatcher } from "./run-dirs.js";
import { RunFiles } from "./run-files.js";
import { describeExit, runServiceLifecycle, type LifecycleHost } from "./service-lifecycle.js";
import { ServiceRuntime, phaseName } from "./service-runtime.js";

/** What an environment needs from its rigd. */
export interface RunDeps {
  readonly types: TypeRegistry;
  readonly ports: PortAllocator;
  readonly artifacts: ArtifactResolver;
  readonly logger: Logger;
  /** RIG_DIR: temp dirs go under tmp/, logs under logs/. */
  readonly rigDir: string;
  /** Told about the run dir, so it is removed even if rigd dies. */
  readonly watchdog?: DirWatcher | undefined;
  /** The lock table services that require resources take them from (rigd's lock service). */
  readonly locks?: ResourceLocks | undefined;
  /** Output budgets (bytes kept per service and per environment). */
  readonly limits: Pick<Limits, "outputPerService" | "outputPerEnvironment" | "trafficInMemory">;
}

/** Why a destroy was asked for. */
export interface DestroyOptions {
  readonly reason: DownReason;
  readonly testFailed?: boolean;
  readonly preserve?: boolean;
  readonly detail?: string;
}

/** Event cases that are not lifecycle progress (they do not reset the stall timer): traffic and these. */
const NOT_PROGRESS = new Set<Event["payload"]["case"]>(["serviceLog", "progressStall", "testNote", ...TRAFFIC]);


/**
 * One sentence for why an environment went down when nobody failed. Timers pass the
 * whole sentence as `detail`; a client's own reason is added unless it only repeats
 * that the test failed.
 */
function destroySummary(options: DestroyOptions): string {
  switch (options.reason) {
    case DownReason.TTL_EXPIRED:
    case DownReason.ORPHANED:
      return options.detail ?? "";
    case DownReason.SHUTDOWN:
      return "rigd shut down";
    default: {
      const detail = options.detail && !/^test failed\.?$/i.test(options.detail.trim()) ? `: ${options.detail}` : "";
      return `destroyed by the client${options.testFailed ? " after its test failed" : ""}${detail}`;
    }
  }
}

/** The phase a service failed in, as the end of "failed while ...". */
function whilePhase(phase: string): string {
  switch (phase) {
    case "artifacts":
      return "resolving artifacts";
    case "pending":
      return "waiting for its dependencies";
    case "published":
      return "publishing its endpoints";
    case "prestart":
      return "running prestart hooks";
    case "healthy":
    case "init":
      return "running init hooks";
    case "ready":
      return "running";
    default:
      return phase;
  }
}

/** What one kept output line costs beyond its bytes (the event around it), for output budgets. */
const LINE_OVERHEAD = 100;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class EnvironmentRun implements LifecycleHost {
  readonly log: EventLog;
  readonly envDir: string;
  readonly createdAt = Date.now();
  state: EnvironmentState = EnvironmentState.STARTING;
  /** Set once environment.down is published. */
  down: EnvironmentDown | undefined;
  /** Set once temp dirs are deleted or preserved (after down). */
  finalized: { preserved: boolean } | undefined;
  /** Settles once the run dir is deleted from disk (it left its path at finalize). */
  removed: Promise<void> = Promise.resolve();

  private readonly services = new Map<string, ServiceRuntime>();
  private readonly startAbort = new AbortController();
  readonly callbacks: CallbackBroker;
  readonly runDir: string;
  readonly logger: Logger;
  private readonly files: RunFiles;
  private readonly timers: EnvironmentTimers;
  /** Set at teardown: keep what types can keep (stopped containers) for inspection. */
  keepingForInspection = false;
  /** What the releases kept for inspection, in words (appended to the down summary). */
  private readonly kept: string[] = [];
  /** Set once teardown began (failure, destroy, TTL, orphan); exits after that are expected. */
  private teardown: Promise<EnvironmentDown> | undefined;
  private lastProgress = Date.now();
  /** Bytes of service output kept in this environment's log. */
  private outputKept = 0;
  /** Called once the run is finalized and may be forgotten after retention. */
  onFinalized: () => void = () => {};

  constructor(
    readonly id: string,
    readonly plan: EnvironmentPlan,
    private readonly deps: RunDeps,
  ) {
    this.runDir = join(deps.rigDir, "tmp", id);
    this.envDir = join(this.runDir, "env");
    this.files = new RunFiles(join(deps.rigDir, "logs", id));
    this.logger = deps.logger.child({ env: id });
    this.log = new EventLog(id, (event) => this.onEvent(event), {
      trafficInMemory: deps.limits.trafficInMemory,
      load: (offset) => this.files.read(offset),
    });
    this.callbacks = new CallbackBroker(this.log, plan.callbackTimeoutMs);
    this.timers = new EnvironmentTimers(plan, {
      ttlExpired: () => void this.destroy({ reason: DownReason.TTL_EXPIRED, detail: `its TTL of ${plan.ttlMs! / 1000}s expired` }),
      orphaned: () =>
        void this.destroy({ reason: DownReason.ORPHANED, detail: `no client watched it for ${plan.orphanGraceMs / 1000}s` }),
      stalled: () => this.reportStall(),
    });
    for (const planned of plan.services) {
      const type = deps.types.get(planned.type);
      if (!type) throw new Error(`service type "${planned.type}" of ${planned.name} is not registered`);
      this.services.set(planned.name, new ServiceRuntime(planned, type));
    }
  }

  /** Paths of the on-disk logs. */
  get eventLogPath(): string {
    return this.files.eventLogPath;
  }

  get logPath(): string {
    return this.files.logPath;
  }

  /** Temp dir of each real service. */
  tempDirs(): Record<string, string> {
    const dirs: Record<string, string> = {};
    for (const rt of this.services.values()) if (rt.tempDir) dirs[rt.name] = rt.tempDir;
    return dirs;
  }

  get ports(): PortAllocator {
    return this.deps.ports;
  }

  get locks(): ResourceLocks | undefined {
    return this.deps.locks;
  }

  get info(): EnvironmentInfo {
    return { id: this.id, name: this.plan.name, envDir: this.envDir, dir: this.plan.dir, hostEnv: this.plan.hostEnv };
  }

  private onEvent(event: Event): StoredEvent {
    const stored = this.files.write(event);
    if (!NOT_PROGRESS.has(event.payload.case)) {
      this.lastProgress = Date.now();
      if (this.state === EnvironmentState.STARTING) this.timers.progressed();
    }
    return stored;
  }

  emit(service: string, payload: EventPayload): Event {
    return this.log.append(service, payload);
  }

  /** Starts orchestration in the background. */
  start(): void {
    mkdirSync(this.envDir, { recursive: true });
    claimRunDir(this.runDir);
    this.deps.watchdog?.watchDir(this.runDir);
    this.emit("", {
      case: "environmentCreated",
      value: create(EnvironmentCreatedSchema, {
        name: this.plan.name,
        envDir: this.envDir,
        services: this.plan.services.map((s) =>
          create(ServiceSummarySchema, { name: s.name, type: s.type, dependsOn: [...s.dependsOn] }),
        ),
      }),
    });
    this.timers.start();
    void this.run();
  }

  private async run(): Promise<void> {
    const signal = this.startAbort.signal;
    try {
      await this.resolveArtifacts(signal);
    } catch {
      return; // the failure is recorded; teardown is running
    }
    for (const rt of this.services.values()) {
      rt.lifecycle = runServiceLifecycle(this, rt, signal).catch((err: unknown) => {
        if (!signal.aborted) this.fail(rt, errorMessage(err));
      });
    }
  }

  private async resolveArtifacts(signal: AbortSignal): Promise<void> {
    const work: Promise<void>[] = [];
    for (const rt of this.services.values()) {
      const artifacts = rt.type.artifacts?.({ environment: this.info, service: rt.planned }) ?? [];
      for (const artifact of artifacts) {
        work.push(
          this.deps.artifacts
            .resolve(artifact, signal, (payload) => this.emit(rt.name, payload))
            .then((value) => {
              rt.artifacts.set(artifact.key, value);
            })
            .catch((err: unknown) => {
              if (!signal.aborted) this.fail(rt, errorMessage(err), "artifacts");
              throw err;
            }),
        );
      }
    }
    await Promise.all(work);
  }

  setPhase(rt: ServiceRuntime, phase: ServicePhase, waitingFor: string | (() => string) = ""): void {
    rt.phase = phase;
    rt.waitingFor = waitingFor;
  }

  /** A service ended: after start and before teardown, that is a failure. */
  exited(rt: ServiceRuntime, status: ExitStatus): void {
    if (!this.teardown) this.fail(rt, `${describeExit(status)}${rt.phase === ServicePhase.READY ? " after it was ready" : ""}`);
  }

  /** The ~test node is ready: environment.up with every endpoint the test may use. */
  testNodeReady(testNode: ServiceRuntime): void {
    const services: Record<string, { ingresses: Record<string, Endpoint> }> = {};
    for (const egress of testNode.planned.egresses) {
      const target = egress.origin ?? { service: egress.service, ingress: egress.ingress };
      services[target.service] ??= { ingresses: {} };
      services[target.service]!.ingresses[target.ingress] = testNode.egressEndpoints[egress.name]!;
    }
    // Services without ingresses still appear, with no endpoints.
    for (const rt of this.services.values()) if (!rt.planned.internal) services[rt.name] ??= { ingresses: {} };
    this.state = EnvironmentState.UP;
    this.timers.startOver();
    this.emit("", {
      case: "environmentUp",
      value: create(EnvironmentUpSchema, {
        services: Object.fromEntries(
          Object.entries(services).map(([name, s]) => [name, create(ServiceEndpointsSchema, s)]),
        ),
      }),
    });
  }

  /**
   * A line of a service's output: into the tails (always) and the log, while the
   * service's and the environment's output budgets last. Past a budget, output is
   * counted and dropped; one line says so when it happens and one at stop says how much.
   */
  output(rt: ServiceRuntime, stream: LogStream, line: string): void {
    rt.noteOutput(line, stream === LogStream.STDERR);
    if (this.log.isClosed) return;
    const bytes = Buffer.byteLength(line) + 1;
    // A kept line costs its bytes plus its event's bookkeeping, so a flood of short lines
    // is bounded as well as a few long ones.
    const cost = bytes + LINE_OVERHEAD;
    const { outputPerService, outputPerEnvironment } = this.deps.limits;
    if (rt.output.dropped > 0 || rt.output.kept + cost > outputPerService || this.outputKept + cost > outputPerEnvironment) {
      if (rt.output.dropped === 0) {
        const which =
          rt.output.kept + cost > outputPerService
            ? `this service's output limit of ${formatBytes(outputPerService)} (${limitFlag("outputPerService")})`
            : `this environment's output limit of ${formatBytes(outputPerEnvironment)} (${limitFlag("outputPerEnvironment")})`;
        this.emit(rt.name, {
          case: "serviceLog",
          value: create(ServiceLogSchema, { stream, line: `[rig: reached ${which}; further output is counted, not kept]` }),
        });
      }
      rt.output.dropped += bytes;
      return;
    }
    rt.output.kept += cost;
    this.outputKept += cost;
    this.emit(rt.name, { case: "serviceLog", value: create(ServiceLogSchema, { stream, line }) });
  }

  service(name: string): ServiceRuntime {
    const rt = this.services.get(name);
    if (!rt) throw new Error(`unknown service ${name}`);
    return rt;
  }

  /**
   * A user service of this up environment, for runtime operations (exec, files, stop,
   * restart): a BadRequestError names the services when it is unknown, a StateError says
   * when the environment is not up.
   */
  controllable(name: string): ServiceRuntime {
    const rt = this.services.get(name);
    if (!rt || rt.planned.internal) {
      const names = [...this.services.values()].filter((s) => !s.planned.internal).map((s) => s.name);
      throw new BadRequestError(`environment ${this.id} has no service "${name}" (it has ${names.join(", ") || "none"})`);
    }
    if (this.teardown || this.state !== EnvironmentState.UP) {
      throw new StateError(`environment ${this.id} is ${EnvironmentState[this.state].toLowerCase()}: runtime operations need it up`);
    }
    return rt;
  }

  /** Fails a service by name (client service_error). Returns false when unknown. */
  failService(name: string, reason: string): boolean {
    const rt = this.services.get(name);
    if (!rt) return false;
    this.fail(rt, reason);
    return true;
  }

  /** Records the first failure and tears the environment down. Later failures are ignored. */
  private fail(rt: ServiceRuntime, reason: string, phase = phaseName(rt.phase)): void {
    if (this.teardown) return;
    this.state = EnvironmentState.FAILING;
    rt.error = reason;
    this.setPhase(rt, ServicePhase.FAILED);
    this.logger.warn({ service: rt.name, phase, reason }, "service failed");
    this.emit(rt.name, {
      case: "serviceFailed",
      value: create(ServiceFailedSchema, { reason, phase, stderrTail: [...rt.stderrTail] }),
    });
    this.emit("", { case: "environmentFailing", value: create(EnvironmentFailingSchema, { service: rt.name, reason }) });
    this.keepingForInspection = keepOnFailure(this.plan.hostEnv);
    const name = displayName(rt.name);
    // stderr says why most of the time; when a service wrote nothing there, its last
    // stdout lines often do ("Serving HTTP on ... port 18555").
    const tail = rt.stderrTail.length
      ? `\n--- last ${rt.stderrTail.length} stderr lines of ${name} ---\n${rt.stderrTail.join("\n")}`
      : rt.lastLines.length
        ? `\n--- last ${rt.lastLines.length} output lines of ${name} ---\n${rt.lastLines.join("\n")}`
        : "";
    this.teardown = this.tearDown(
      create(EnvironmentDownSchema, {
        reason: DownReason.FAILED,
        summary: `service "${name}" failed while ${whilePhase(phase)}: ${withEdgeNames(reason)}${tail}`,
        failedService: rt.name,
        error: reason,
        stderrTail: [...rt.stderrTail],
      }),
    );
  }

  /**
   * Destroys the environment (idempotent): tears down if still running, then deletes
   * the dirs unless preserved. Resolves with the environment.down record.
   */
  async destroy(options: DestroyOptions): Promise<EnvironmentDown> {
    if (!this.teardown) {
      this.state = EnvironmentState.DESTROYING;
      this.keepingForInspection = options.preserve ?? (options.testFailed === true && keepOnFailure(this.plan.hostEnv));
      this.emit("", {
        case: "environmentDestroying",
        value: create(EnvironmentDestroyingSchema, {
          reason: options.reason,
          testFailed: options.testFailed ?? false,
          detail: options.detail ?? "",
        }),
      });
      this.teardown = this.tearDown(
        create(EnvironmentDownSchema, {
          reason: options.reason,
          summary: destroySummary(options),
          testFailed: options.testFailed ?? false,
        }),
      );
    }
    const down = await this.teardown;
    await this.finalize(options.preserve ?? false);
    // A destroy after a failure still reports the client's verdict (the log is closed by then).
    return options.testFailed && !down.testFailed ? { ...down, testFailed: true } : down;
  }

  /** Stops every service in reverse dependency order, releases resources, publishes environment.down. */
  private async tearDown(down: EnvironmentDown): Promise<EnvironmentDown> {
    this.timers.tearingDown();
    this.startAbort.abort(new Error("environment is going down"));
    // Let every lifecycle settle first so nothing is half-started while we stop.
    await Promise.allSettled([...this.services.values()].map((rt) => rt.lifecycle));
    await this.stopInReverseOrder();
    if (this.kept.length > 0) {
      down = create(EnvironmentDownSchema, {
        ...down,
        summary: `${down.summary}\nkept for inspection (\`rig prune\` removes them):\n  ${this.kept.join("\n  ")}`,
      });
    }
    this.state = EnvironmentState.DOWN;
    this.down = down;
    this.emit("", { case: "environmentDown", value: down });
    this.log.close();
    await this.files.close();
    this.logger.info({ reason: DownReason[down.reason] }, "environment down");
    this.timers.armOrphan();
    return down;
  }

  /**
   * Stops each service once every service depending on it has stopped (is gone: its
   * process group dead; sweeping up after it and its releases run on in parallel).
   * The plan lists targets before dependents, so walking it backwards builds each
   * dependent's promise before its targets need it: no recursion, whatever the depth of
   * the graph. Resolves once every service is stopped and released.
   */
  private async stopInReverseOrder(): Promise<void> {
    const dependents = new Map<string, Promise<void>[]>();
    const stopped: Promise<void>[] = [];
    for (const planned of [...this.plan.services].reverse()) {
      const rt = this.service(planned.name);
      const after = dependents.get(rt.name) ?? [];
      let markGone: () => void = () => {};
      const gone = new Promise<void>((resolve) => (markGone = resolve));
      stopped.push(Promise.all(after).then(() => this.stopService(rt, markGone)).finally(markGone));
      for (const dep of planned.dependsOn) {
        const list = dependents.get(dep) ?? [];
        list.push(gone);
        dependents.set(dep, list);
      }
    }
    await Promise.all(stopped);
  }

  /** Stops one service (service.stopping, service.stopped), calls `gone` once it has stopped, then runs its releases. */
  private async stopService(rt: ServiceRuntime, gone: () => void): Promise<void> {
    const running = rt.running;
    if (running) {
      if (rt.phase !== ServicePhase.FAILED) this.setPhase(rt, ServicePhase.STOPPING);
      this.emit(rt.name, { case: "serviceStopping", value: create(ServiceStoppingSchema, {}) });
      let reported = false;
      const stopped = (status: ExitStatus): void => {
        if (reported) return;
        reported = true;
        this.emit(rt.name, {
          case: "serviceStopped",
          value: create(ServiceStoppedSchema, { exitCode: status.code ?? -1, signal: status.signal ?? "" }),
        });
        if (rt.phase !== ServicePhase.FAILED) this.setPhase(rt, ServicePhase.STOPPED);
        gone();
      };
      let status: ExitStatus = { code: null, signal: null };
      try {
        status = await running.stop(stopped);
      } catch (err) {
        this.logger.error({ service: rt.name, err }, "stop failed");
      }
      stopped(status);
      if (rt.output.dropped > 0) {
        this.emit(rt.name, {
          case: "serviceLog",
          value: create(ServiceLogSchema, {
            stream: LogStream.STDERR,
            line: `[rig: ${formatBytes(rt.output.dropped)} of output over the limit were dropped]`,
          }),
        });
      }
    } else if (rt.phase !== ServicePhase.FAILED) {
      // Never started: say so rather than leave it PENDING or PUBLISHED forever.
      this.setPhase(rt, ServicePhase.NOT_STARTED);
    }
    gone();
    for (const release of rt.releases.splice(0).reverse()) {
      try {
        const kept = await release();
        if (kept) this.kept.push(kept);
      } catch (err) {
        this.logger.error({ service: rt.name, err }, "release failed");
      }
    }
    for (const port of rt.ports.splice(0)) this.deps.ports.release(port);
  }

  /** Deletes (or keeps) the temp dirs once the environment is down. Idempotent. */
  private async finalize(preserve: boolean): Promise<void> {
    if (this.finalized) return;
    this.finalized = { preserved: preserve };
    this.timers.finish();
    if (preserve) this.deps.watchdog?.forgetDir(this.runDir);
    else this.removed = removeRunDir(this.runDir, this.deps.watchdog);
    this.onFinalized();
  }

  /** Counts a client watching; the orphan timer runs only while nobody watches. */
  async *watch(afterSeq: bigint, filter: EventFilter, signal: AbortSignal): AsyncGenerator<Event> {
    this.timers.watchStarted();
    try {
      yield* this.log.follow(afterSeq, signal, filter);
    } finally {
      this.timers.watchEnded();
    }
  }

  /** Publishes progress.stall; returns whether to keep watching for stalls. */
  private reportStall(): boolean {
    if (this.state !== EnvironmentState.STARTING || this.log.isClosed) return false;
    const idle = Date.now() - this.lastProgress;
    const waiting = [...this.services.values()].filter(
      (rt) => rt.phase !== ServicePhase.READY && rt.name !== TEST_NODE,
    );
    const snapshots = waiting.map((rt) =>
      create(ServiceSnapshotSchema, {
        service: rt.name,
        phase: phaseName(rt.phase),
        waitingFor: rt.waitingFor,
        lastLogLines: [...rt.lastLines],
      }),
    );
    const message =
      `no progress for ${(idle / 1000).toFixed(1)}s: ` +
      (snapshots.map((s) => `${displayName(s.service)} (${s.phase}) waits for ${withEdgeNames(s.waitingFor) || "nothing"}`).join("; ") ||
        "nothing is waiting");
    this.emit("", {
      case: "progressStall",
      value: create(ProgressStallSchema, { message, idle: durationFromMs(idle), services: snapshots }),
    });
    return true;
  }

  /** Applies a client callback answer; false when the id is unknown or already settled. */
  answerCallback(requestId: string, error: string, service: string): boolean {
    return this.callbacks.answer(requestId, error, service);
  }

  /** Appends a client event (logs, notes) unless the log is closed. */
  append(service: string, payload: EventPayload): bigint {
    if (this.log.isClosed) return this.log.lastSeq;
    return this.emit(service, payload).seq;
  }

  /** Knows a service of this name (user-declared or internal)? */
  hasService(name: string): boolean {
    return this.services.has(name);
  }

  /** The resolved state for GetEnvironment / ListEnvironments. */
  snapshot(): Environment {
    return create(EnvironmentSchema, {
      id: this.id,
      name: this.plan.name,
      state: this.state,
      createdAt: timestampFromMs(this.createdAt),
      envDir: this.envDir,
      down: this.down,
      watchers: this.timers.watchers,
      lastSeq: this.log.lastSeq,
      services: [...this.services.values()].map((rt) => this.serviceState(rt)),
    });
  }

  private serviceState(rt: ServiceRuntime): ReturnType<typeof create<typeof ServiceStateSchema>> {
    const egressTargets: Record<string, Endpoint> = {};
    for (const egress of rt.planned.egresses) {
      if (!egress.origin) continue;
      const real = this.services.get(egress.origin.service)?.endpoints[egress.origin.ingress];
      if (real) egressTargets[egress.name] = real;
    }
    return create(ServiceStateSchema, {
      name: rt.name,
      type: rt.planned.type,
      phase: rt.phase,
      ingresses: rt.endpoints,
      egresses: rt.egressEndpoints,
      tempDir: rt.tempDir,
      error: rt.error,
      internal: rt.planned.internal,
      egressTargets,
    });
  }
}

/** RIG_PRESERVE or RIG_PRESERVE_ON_FAILURE set (not empty, 0, false, no, off) in the client's environment. */
function keepOnFailure(hostEnv: Readonly<Record<string, string>>): boolean {
  const set = (value: string | undefined): boolean => value !== undefined && !["", "0", "false", "no", "off"].includes(value.trim().toLowerCase());
  return set(hostEnv["RIG_PRESERVE"]) || set(hostEnv["RIG_PRESERVE_ON_FAILURE"]);
}
