/**
 * One running environment: the lifecycle of SPEC §4 from environment.created to
 * environment.down.
 *
 * Services run concurrently; each waits for its dependencies' service.ready events
 * in the log rather than sharing state. The first failure aborts the start, tears
 * down in reverse dependency order and records a summary naming the service, the
 * error and its stderr tail.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import type { ArtifactResolver } from "../artifacts/artifact-resolver.js";
import { CallbackBroker } from "../callbacks/callback-broker.js";
import { EventLog, type EventPayload } from "../events/event-log.js";
import {
  DownReason,
  EndpointSchema,
  EnvironmentCreatedSchema,
  EnvironmentDestroyingSchema,
  EnvironmentDownSchema,
  EnvironmentFailingSchema,
  EnvironmentUpSchema,
  IngressPublishedSchema,
  LogStream,
  ProgressStallSchema,
  ServiceEndpointsSchema,
  ServiceFailedSchema,
  ServiceHealthySchema,
  ServiceInitSchema,
  ServiceLogSchema,
  ServicePrestartSchema,
  ServiceReadySchema,
  ServiceSnapshotSchema,
  ServiceStartingSchema,
  ServiceStoppedSchema,
  ServiceStoppingSchema,
  ServiceSummarySchema,
  WiringResolvedSchema,
  WiringSchema,
  CallbackKind,
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
import type { Hook } from "../gen/rig/v1/spec_pb.js";
import type { PortAllocator } from "../ports/port-allocator.js";
import { probeFor } from "../readiness/probe-for.js";
import { waitUntilReady } from "../readiness/wait-until-ready.js";
import type {
  EnvironmentInfo,
  ExitStatus,
  HookContext,
  ServiceContext,
  StartContext,
} from "../services/service-type.js";
import type { TypeRegistry } from "../services/type-registry.js";
import { expandTemplate, resolveAttributes } from "../wiring/templates.js";
import { buildWiringEnv } from "../wiring/wiring-env.js";
import { TEST_NODE, type EnvironmentPlan } from "./plan.js";
import { RunFiles } from "./run-files.js";
import { ServiceRuntime, phaseName } from "./service-runtime.js";

/** What an environment needs from its rigd. */
export interface RunDeps {
  readonly types: TypeRegistry;
  readonly ports: PortAllocator;
  readonly artifacts: ArtifactResolver;
  readonly logger: Logger;
  /** RIG_DIR: temp dirs go under tmp/, logs under logs/. */
  readonly rigDir: string;
}

/** Why a destroy was asked for. */
export interface DestroyOptions {
  readonly reason: DownReason;
  readonly testFailed?: boolean;
  readonly preserve?: boolean;
  readonly detail?: string;
}

/** Event cases that count as lifecycle progress (others do not reset the stall timer). */
const NOT_PROGRESS = new Set<Event["payload"]["case"]>([
  "serviceLog",
  "progressStall",
  "testNote",
  "requestCompleted",
  "grpcCallCompleted",
  "connectionOpened",
  "connectionClosed",
]);

/** Output lines kept per environment before further lines are dropped (memory bound). */
const MAX_LOG_EVENTS = 200_000;

function describeExit(status: ExitStatus): string {
  if (status.error) return status.error;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${status.code}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export class EnvironmentRun {
  readonly log: EventLog;
  readonly envDir: string;
  readonly createdAt = Date.now();
  state: EnvironmentState = EnvironmentState.STARTING;
  /** Set once environment.down is published. */
  down: EnvironmentDown | undefined;
  /** Set once temp dirs are deleted or preserved (after down). */
  finalized: { preserved: boolean } | undefined;

  private readonly services = new Map<string, ServiceRuntime>();
  private readonly startAbort = new AbortController();
  private readonly callbacks: CallbackBroker;
  private readonly files: RunFiles;
  private readonly runDir: string;
  private readonly logger: Logger;
  /** Set once teardown began (failure, destroy, TTL, orphan); exits after that are expected. */
  private teardown: Promise<EnvironmentDown> | undefined;
  private watchers = 0;
  private orphanTimer: NodeJS.Timeout | undefined;
  private ttlTimer: NodeJS.Timeout | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private lastProgress = Date.now();
  private logEvents = 0;
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
    this.log = new EventLog(id, (event) => this.onEvent(event));
    this.callbacks = new CallbackBroker(this.log, plan.callbackTimeoutMs);
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

  private get info(): EnvironmentInfo {
    return { id: this.id, name: this.plan.name, envDir: this.envDir, dir: this.plan.dir, hostEnv: this.plan.hostEnv };
  }

  private onEvent(event: Event): void {
    this.files.write(event);
    if (!NOT_PROGRESS.has(event.payload.case)) {
      this.lastProgress = Date.now();
      if (this.state === EnvironmentState.STARTING) this.armStallTimer();
    }
  }

  private emit(service: string, payload: EventPayload): Event {
    return this.log.append(service, payload);
  }

  /** Starts orchestration in the background. */
  start(): void {
    mkdirSync(this.envDir, { recursive: true });
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
    if (this.plan.ttlMs !== undefined) {
      this.ttlTimer = setTimeout(
        () => void this.destroy({ reason: DownReason.TTL_EXPIRED, detail: `TTL of ${this.plan.ttlMs! / 1000}s passed` }),
        this.plan.ttlMs,
      );
    }
    this.armOrphanTimer();
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
      rt.lifecycle = this.runService(rt, signal).catch((err: unknown) => {
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

  private serviceContext(rt: ServiceRuntime, signal: AbortSignal): ServiceContext {
    return {
      environment: this.info,
      service: rt.planned,
      log: this.logger.child({ service: rt.name }),
      signal,
      onRelease: (cleanup) => {
        rt.releases.push(cleanup);
      },
    };
  }

  private setPhase(rt: ServiceRuntime, phase: ServicePhase, waitingFor = ""): void {
    rt.phase = phase;
    rt.waitingFor = waitingFor;
  }

  /** The lifecycle of one service, from waiting for its dependencies to service.ready. */
  private async runService(rt: ServiceRuntime, signal: AbortSignal): Promise<void> {
    const planned = rt.planned;
    for (const dep of planned.dependsOn) {
      this.setPhase(rt, ServicePhase.PENDING, `service ${dep} to be ready`);
      await this.log.waitFor((e) => e.service === dep && e.payload.case === "serviceReady", signal);
    }

    // Publish: allocate ports / acquire leases, resolve attribute templates.
    this.setPhase(rt, ServicePhase.PUBLISHED, "ports and endpoints");
    const base = this.serviceContext(rt, signal);
    if (!planned.internal) {
      rt.tempDir = join(this.runDir, "services", planned.name);
      mkdirSync(rt.tempDir, { recursive: true });
    }
    const egressTemplates = Object.fromEntries(
      planned.egresses.map((e) => [e.name, this.service(e.service).published[e.ingress]!]),
    );
    rt.published = await rt.type.publish({
      ...base,
      artifacts: rt.artifacts,
      egressTemplates,
      allocatePort: async () => {
        const port = await this.deps.ports.allocate();
        rt.ports.push(port);
        return port;
      },
    });
    for (const [name, p] of Object.entries(rt.published)) {
      rt.endpoints[name] = create(EndpointSchema, {
        host: p.host,
        port: p.port,
        protocol: p.protocol,
        attributes: resolveAttributes(p.attributes, p.host, p.port),
      });
    }
    this.emit(rt.name, { case: "ingressPublished", value: create(IngressPublishedSchema, { ingresses: rt.endpoints }) });

    // Wiring: what the service is told about itself and its egresses.
    for (const egress of planned.egresses) {
      rt.egressEndpoints[egress.name] = this.service(egress.service).endpoints[egress.ingress]!;
    }
    const wiring = create(WiringSchema, {
      ingresses: rt.endpoints,
      egresses: rt.egressEndpoints,
      tempDir: rt.tempDir,
      envDir: this.envDir,
    });
    const wiringEnv = planned.internal
      ? {}
      : buildWiringEnv({
          service: rt.name,
          ingresses: rt.endpoints,
          egresses: rt.egressEndpoints,
          tempDir: rt.tempDir,
          envDir: this.envDir,
        });
    this.emit(rt.name, { case: "wiringResolved", value: create(WiringResolvedSchema, { wiring }) });

    const startCtx: StartContext = {
      ...base,
      ingresses: rt.endpoints,
      egresses: rt.egressEndpoints,
      wiring,
      wiringEnv,
      expand: (template, vars) => expandTemplate(template, vars ?? { ...this.plan.hostEnv, ...wiringEnv }),
      tempDir: rt.tempDir,
      artifacts: rt.artifacts,
      output: { line: (stream, text) => this.serviceOutput(rt, stream, text) },
      callback: (name, kind, phase) =>
        this.callbacks.request({ name, kind, service: rt.name, wiring, phase }, signal),
      emit: (payload) => {
        if (!this.log.isClosed) this.emit(rt.name, payload);
      },
    };

    this.setPhase(rt, ServicePhase.PRESTART, "prestart hooks");
    await this.runHooks(rt, planned.prestart, "prestart", startCtx);
    this.emit(rt.name, { case: "servicePrestart", value: create(ServicePrestartSchema, { hooks: planned.prestart.length }) });

    this.setPhase(rt, ServicePhase.STARTING, "the service to start");
    rt.running = await rt.type.start(startCtx);
    this.emit(rt.name, {
      case: "serviceStarting",
      value: create(ServiceStartingSchema, { pid: rt.running.pid ?? 0, detail: rt.running.detail ?? "" }),
    });
    const running = rt.running;
    running.exited.then((status) => {
      if (!this.teardown) this.fail(rt, `${describeExit(status)}${rt.phase === ServicePhase.READY ? " after it was ready" : ""}`);
    });
    if (signal.aborted) return;

    // Readiness of every ingress, concurrently; an early exit ends the wait.
    const healthStarted = Date.now();
    this.setPhase(rt, ServicePhase.STARTING, `readiness of ${planned.ingresses.map((i) => i.name).join(", ")}`);
    const exitedEarly = running.exited.then((status) => {
      throw new Error(`${describeExit(status)} before becoming ready`);
    });
    exitedEarly.catch(() => {}); // observed by the race below; later exits are handled above
    await Promise.race([
      Promise.all(
        planned.ingresses.map(async (ingress) => {
          const endpoint = rt.endpoints[ingress.name]!;
          const probe =
            rt.type.readiness?.({ ...base, ingress, endpoint }) ?? probeFor(endpoint, ingress.ready);
          try {
            await waitUntilReady(probe, {
              intervalMs: ingress.ready.intervalMs,
              maxIntervalMs: ingress.ready.maxIntervalMs,
              timeoutMs: ingress.ready.timeoutMs,
              signal,
            });
          } catch (err) {
            if (signal.aborted) throw err;
            throw new Error(
              `readiness check of ingress "${ingress.name}" (${ingress.ready.kind} on ${endpoint.host}:${endpoint.port}) failed: ${errorMessage(err)}`,
            );
          }
        }),
      ),
      exitedEarly,
    ]);
    this.setPhase(rt, ServicePhase.HEALTHY, "init hooks");
    this.emit(rt.name, {
      case: "serviceHealthy",
      value: create(ServiceHealthySchema, { duration: durationFromMs(Date.now() - healthStarted) }),
    });

    this.setPhase(rt, ServicePhase.INIT, "init hooks");
    await this.runHooks(rt, planned.init, "init", startCtx);
    this.emit(rt.name, { case: "serviceInit", value: create(ServiceInitSchema, { hooks: planned.init.length }) });

    if (signal.aborted) return;
    this.setPhase(rt, ServicePhase.READY);
    this.emit(rt.name, { case: "serviceReady", value: create(ServiceReadySchema, {}) });
    if (rt.name === TEST_NODE) this.environmentUp(rt);
  }

  private async runHooks(
    rt: ServiceRuntime,
    hooks: readonly Hook[],
    phase: "prestart" | "init",
    ctx: StartContext,
  ): Promise<void> {
    for (const [i, hook] of hooks.entries()) {
      const action = hook.action;
      if (action.case === "clientFunc") {
        rt.waitingFor = `client ${phase} hook "${action.value.name}"`;
        await ctx.callback(action.value.name, CallbackKind.HOOK, phase);
      } else if (action.case === "sql" || action.case === "exec") {
        rt.waitingFor = `${phase} ${action.case} hook #${i + 1}`;
        if (!rt.type.runHook) throw new Error(`type "${rt.type.name}" cannot run ${action.case} hooks`);
        const hookCtx: HookContext = { ...ctx, phase };
        try {
          await rt.type.runHook(hookCtx, hook);
        } catch (err) {
          throw new Error(`${phase} ${action.case} hook #${i + 1} failed: ${errorMessage(err)}`);
        }
      }
    }
  }

  private environmentUp(testNode: ServiceRuntime): void {
    const services: Record<string, { ingresses: Record<string, Endpoint> }> = {};
    for (const egress of testNode.planned.egresses) {
      const target = egress.origin ?? { service: egress.service, ingress: egress.ingress };
      services[target.service] ??= { ingresses: {} };
      services[target.service]!.ingresses[target.ingress] = testNode.egressEndpoints[egress.name]!;
    }
    // Services without ingresses still appear, with no endpoints.
    for (const rt of this.services.values()) if (!rt.planned.internal) services[rt.name] ??= { ingresses: {} };
    this.state = EnvironmentState.UP;
    this.clearStallTimer();
    this.emit("", {
      case: "environmentUp",
      value: create(EnvironmentUpSchema, {
        services: Object.fromEntries(
          Object.entries(services).map(([name, s]) => [name, create(ServiceEndpointsSchema, s)]),
        ),
      }),
    });
  }

  private serviceOutput(rt: ServiceRuntime, stream: LogStream, line: string): void {
    rt.noteOutput(line, stream === LogStream.STDERR);
    if (this.log.isClosed) return;
    this.logEvents++;
    if (this.logEvents > MAX_LOG_EVENTS) return;
    const text = this.logEvents === MAX_LOG_EVENTS ? `[rig: output limit of ${MAX_LOG_EVENTS} lines reached; further lines dropped]` : line;
    this.emit(rt.name, { case: "serviceLog", value: create(ServiceLogSchema, { stream, line: text }) });
  }

  private service(name: string): ServiceRuntime {
    const rt = this.services.get(name);
    if (!rt) throw new Error(`unknown service ${name}`);
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
    const tail = rt.stderrTail.length
      ? `\n--- last ${rt.stderrTail.length} stderr lines of ${rt.name} ---\n${rt.stderrTail.join("\n")}`
      : "";
    this.teardown = this.tearDown(
      create(EnvironmentDownSchema, {
        reason: DownReason.FAILED,
        summary: `service "${rt.name}" failed while ${phase}: ${reason}${tail}`,
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
      this.emit("", {
        case: "environmentDestroying",
        value: create(EnvironmentDestroyingSchema, {
          reason: options.reason,
          testFailed: options.testFailed ?? false,
          detail: options.detail ?? "",
        }),
      });
      const what =
        options.reason === DownReason.TTL_EXPIRED
          ? "TTL expired"
          : options.reason === DownReason.ORPHANED
            ? "no client watched it"
            : options.reason === DownReason.SHUTDOWN
              ? "rigd shut down"
              : "destroyed by the client";
      this.teardown = this.tearDown(
        create(EnvironmentDownSchema, {
          reason: options.reason,
          summary: `${what}${options.detail ? `: ${options.detail}` : ""}${options.testFailed ? " (test failed)" : ""}`,
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
    this.clearStallTimer();
    clearTimeout(this.ttlTimer);
    this.startAbort.abort(new Error("environment is going down"));
    // Let every lifecycle settle first so nothing is half-started while we stop.
    await Promise.allSettled([...this.services.values()].map((rt) => rt.lifecycle));
    const dependents = new Map<string, ServiceRuntime[]>();
    for (const rt of this.services.values()) {
      for (const dep of rt.planned.dependsOn) {
        const list = dependents.get(dep) ?? [];
        list.push(rt);
        dependents.set(dep, list);
      }
    }
    const stop = (rt: ServiceRuntime): Promise<void> =>
      rt.stopOnce(async () => {
        await Promise.all((dependents.get(rt.name) ?? []).map(stop));
        await this.stopService(rt);
      });
    await Promise.all([...this.services.values()].map(stop));
    this.state = EnvironmentState.DOWN;
    this.down = down;
    this.emit("", { case: "environmentDown", value: down });
    this.log.close();
    await this.files.close();
    this.logger.info({ reason: DownReason[down.reason] }, "environment down");
    this.armOrphanTimer();
    return down;
  }

  private async stopService(rt: ServiceRuntime): Promise<void> {
    const running = rt.running;
    if (running) {
      if (rt.phase !== ServicePhase.FAILED) this.setPhase(rt, ServicePhase.STOPPING);
      this.emit(rt.name, { case: "serviceStopping", value: create(ServiceStoppingSchema, {}) });
      let status: ExitStatus = { code: null, signal: null };
      try {
        status = await running.stop();
      } catch (err) {
        this.logger.error({ service: rt.name, err }, "stop failed");
      }
      this.emit(rt.name, {
        case: "serviceStopped",
        value: create(ServiceStoppedSchema, { exitCode: status.code ?? -1, signal: status.signal ?? "" }),
      });
      if (rt.phase !== ServicePhase.FAILED) this.setPhase(rt, ServicePhase.STOPPED);
    }
    for (const release of rt.releases.splice(0).reverse()) {
      try {
        await release();
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
    clearTimeout(this.orphanTimer);
    if (!preserve) rmSync(this.runDir, { recursive: true, force: true });
    this.onFinalized();
  }

  /** Counts a client watching; the orphan timer runs only while nobody watches. */
  async *watch(afterSeq: bigint, includeLogs: boolean, signal: AbortSignal): AsyncGenerator<Event> {
    this.watchers++;
    clearTimeout(this.orphanTimer);
    try {
      for await (const event of this.log.follow(afterSeq, signal)) {
        if (!includeLogs && event.payload.case === "serviceLog") continue;
        yield event;
      }
    } finally {
      this.watchers--;
      this.armOrphanTimer();
    }
  }

  /**
   * With nobody watching for the grace period: a live environment is destroyed as
   * orphaned; a down one that nobody destroyed has its dirs cleaned up.
   */
  private armOrphanTimer(): void {
    clearTimeout(this.orphanTimer);
    if (this.watchers > 0 || this.finalized) return;
    this.orphanTimer = setTimeout(() => {
      if (this.watchers > 0) return;
      void this.destroy({
        reason: DownReason.ORPHANED,
        detail: `no client watched it for ${this.plan.orphanGraceMs / 1000}s`,
      });
    }, this.plan.orphanGraceMs);
  }

  private armStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = setTimeout(() => this.reportStall(), this.plan.stallTimeoutMs);
  }

  private clearStallTimer(): void {
    clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private reportStall(): void {
    if (this.state !== EnvironmentState.STARTING || this.log.isClosed) return;
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
      (snapshots.map((s) => `${s.service} (${s.phase}) waits for ${s.waitingFor || "nothing"}`).join("; ") || "nothing is waiting");
    this.emit("", {
      case: "progressStall",
      value: create(ProgressStallSchema, { message, idle: durationFromMs(idle), services: snapshots }),
    });
    this.armStallTimer();
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
      watchers: this.watchers,
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
