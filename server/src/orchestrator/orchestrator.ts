/**
 * The orchestrator of one rigd: the registry of environments and the entry point
 * the API layer calls (EnvironmentBackend). It validates specs, starts each
 * environment's run, and routes client events to it.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import { ArtifactResolver } from "../artifacts/artifact-resolver.js";
import {
  DestroyEnvironmentResponseSchema,
  type DestroyEnvironmentRequest,
  type DestroyEnvironmentResponse,
  type Environment,
  type PostEventRequest,
} from "../gen/rig/v1/environment_service_pb.js";
import { DownReason, ServiceErrorSchema, ServiceLogSchema, TestNoteSchema, type Endpoint, type Event } from "../gen/rig/v1/event_pb.js";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import { PortAllocator } from "../ports/port-allocator.js";
import type { OutputLine } from "../contract/service-control.js";
import type { CopySource, ExecOutcome, ExecRequest } from "../contract/service-type.js";
import { copyInto, copyOutOf, execIn, outputOf, restartIn, stopIn } from "./service-operations.js";
import type { TypeRegistry } from "../contract/type-registry.js";
import type { ResourceLocks } from "../contract/resource-locks.js";
import { ALL_EVENTS, type EventFilter } from "../events/event-filter.js";
import { EnvironmentRun, type RunDeps } from "./environment-run.js";
import { BadRequestError, EnvironmentNotFoundError, StateError } from "../contract/errors.js";
import { DEFAULT_LIMITS, limitFlag, LimitError, type Limits } from "../contract/limits.js";
import { TEST_NODE_TYPE, type EnvironmentPlan } from "../contract/plan.js";
import { planEnvironment } from "./validate.js";
import { DEFAULT_RETENTION_MS, FinishedEnvironment, FinishedEnvironments } from "./finished-environments.js";

/** Rewrites a validated plan before it runs (observe inserts its proxy nodes). */
export type PlanTransform = (plan: EnvironmentPlan) => EnvironmentPlan;

export interface OrchestratorOptions {
  /** RIG_DIR: tmp/, logs/ and run/ live here. */
  readonly rigDir: string;
  readonly logger: Logger;
  /** Default orphan grace when a spec sets none. */
  readonly orphanGraceMs: number;
  /** Default stall timeout (SPEC §4: 30 s). */
  readonly stallTimeoutMs?: number;
  /** Default callback timeout (SPEC §8: 30 s). */
  readonly callbackTimeoutMs?: number;
  /**
   * How long a finished environment stays known (GetEnvironment, GetLog, WatchEvents): its
   * summary in memory, its events read back from disk. Default 10 min (DEFAULT_RETENTION_MS).
   */
  readonly retentionMs?: number;
  /** What this rigd allows (default DEFAULT_LIMITS). */
  readonly limits?: Limits;
  /** Removes run dirs should rigd die (rigd's watchdog). */
  readonly watchdog?: RunDeps["watchdog"];
  /**
   * Every type this rigd runs, the ~test node's (TEST_NODE_TYPE) included. rigd's
   * composition root fills it; the orchestrator registers nothing itself.
   */
  readonly types: TypeRegistry;
  /** The lock table of rigd's LockService, for services that require resources. */
  readonly locks?: ResourceLocks;
  /** Applied in order to every validated plan. */
  readonly transforms?: readonly PlanTransform[];
  /** Called once at shutdown, after every environment is down (pools, engines). */
  readonly onShutdown?: () => Promise<void>;
}

/** Lower-case, id-safe form of an environment name. */
function idPrefix(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 40) || "env";
}

export class Orchestrator implements EnvironmentBackend {
  /** Environments not yet finalized, with their whole run and event log in memory. */
  private readonly runs = new Map<string, EnvironmentRun>();
  /** The client (rig-client header) of each live environment, for its limit. */
  private readonly clientOf = new Map<string, string>();
  /** Finalized environments: a summary each; their events are on disk. */
  private readonly finished: FinishedEnvironments;
  /** Run dirs of finalized environments still being deleted in the background. */
  private readonly removals = new Set<Promise<void>>();
  private readonly types: TypeRegistry;
  private readonly ports = new PortAllocator();
  private readonly artifacts = new ArtifactResolver();
  private readonly logger: Logger;
  private closing = false;

  constructor(private readonly options: OrchestratorOptions) {
    this.logger = options.logger.child({ component: "orchestrator" });
    this.types = options.types;
    this.finished = new FinishedEnvironments(options.retentionMs ?? DEFAULT_RETENTION_MS, this.limits.finishedEnvironments);
    if (!this.types.get(TEST_NODE_TYPE)) {
      throw new Error(`no "${TEST_NODE_TYPE}" type is registered: rigd's composition root must register the ~test node's type`);
    }
  }

  get liveCount(): number {
    let live = 0;
    for (const run of this.runs.values()) if (!run.down) live++;
    return live;
  }

  /** Live environments created by one client. */
  private liveCountOf(client: string): number {
    let live = 0;
    for (const [id, of] of this.clientOf) if (of === client && !this.runs.get(id)?.down) live++;
    return live;
  }

  private get limits(): Limits {
    return this.options.limits ?? DEFAULT_LIMITS;
  }

  async create(spec: EnvironmentSpec, client = ""): Promise<{ id: string; envDir: string }> {
    if (this.closing) throw new StateError("rigd is shutting down");
    if (this.liveCount >= this.limits.environments) {
      throw new LimitError(
        `this rigd already runs ${this.liveCount} environments, its limit (${limitFlag("environments")}); destroy some first`,
      );
    }
    const ofClient = this.liveCountOf(client);
    if (ofClient >= this.limits.environmentsPerClient) {
      throw new LimitError(
        `${client ? `this client (${client})` : "clients that do not name themselves (no rig-client header)"} already run${client ? "s" : ""} ` +
          `${ofClient} environments in this rigd, the limit per client (${limitFlag("environmentsPerClient")}); destroy some first`,
      );
    }
    let plan = planEnvironment(spec, this.types, {
      orphanGraceMs: this.options.orphanGraceMs,
      stallTimeoutMs: this.options.stallTimeoutMs ?? 30_000,
      callbackTimeoutMs: this.options.callbackTimeoutMs ?? 30_000,
      hostEnv: process.env as Record<string, string>,
      dir: process.cwd(),
      limits: this.limits,
    });
    for (const transform of this.options.transforms ?? []) plan = transform(plan);
    let id: string;
    do id = `${idPrefix(plan.name)}-${randomBytes(4).toString("hex")}`;
    while (this.runs.has(id) || this.finished.get(id));
    const run = new EnvironmentRun(id, plan, {
      types: this.types,
      ports: this.ports,
      artifacts: this.artifacts,
      logger: this.options.logger,
      rigDir: this.options.rigDir,
      limits: this.limits,
      watchdog: this.options.watchdog,
      locks: this.options.locks,
    });
    run.onFinalized = () => {
      // The run (services, plan, event log) leaves memory; a summary stays.
      this.clientOf.delete(id);
      this.runs.delete(id);
      this.trackRemoval(run.removed);
      this.finished.add(new FinishedEnvironment(run.snapshot(), run.eventLogPath, run.logPath, run.finalized?.preserved ?? false));
    };
    this.runs.set(id, run);
    this.clientOf.set(id, client);
    this.logger.info({ env: id, services: plan.services.map((s) => s.name) }, "environment created");
    run.start();
    return { id, envDir: run.envDir };
  }

  /**
   * Awaited at shutdown. Its own method, so the callback that forgets it closes over
   * nothing of create()'s (the run above all, kept in memory until its dir is deleted).
   */
  private trackRemoval(removed: Promise<void>): void {
    const removal = removed.finally(() => this.removals.delete(removal));
    this.removals.add(removal);
  }

  /** A running (or down, not yet finalized) environment, or a finished one's summary. */
  private lookup(id: string): EnvironmentRun | FinishedEnvironment {
    const found = this.runs.get(id) ?? this.finished.get(id);
    if (!found) throw new EnvironmentNotFoundError(id);
    return found;
  }

  /** A running environment: operations on its services need them running. */
  private run(id: string): EnvironmentRun {
    const found = this.lookup(id);
    if (found instanceof FinishedEnvironment) throw new StateError(`environment ${id} is down: its services are gone`);
    return found;
  }

  exec(id: string, service: string, request: ExecRequest): Promise<ExecOutcome> {
    return execIn(this.run(id), service, request);
  }

  copyTo(id: string, service: string, path: string, source: CopySource): Promise<void> {
    return copyInto(this.run(id), service, path, source);
  }

  copyFrom(id: string, service: string, path: string, hostPath: string): Promise<void> {
    return copyOutOf(this.run(id), service, path, hostPath);
  }

  serviceLogs(id: string, service: string, tail: number): Promise<OutputLine[]> {
    return outputOf(this.run(id), service, tail);
  }

  stopService(id: string, service: string): Promise<number> {
    return stopIn(this.run(id), service);
  }

  restartService(id: string, service: string): Promise<Record<string, Endpoint>> {
    return restartIn(this.run(id), service);
  }

  watch(id: string, afterSeq: bigint, filter: EventFilter, signal: AbortSignal): AsyncIterable<Event> {
    const found = this.lookup(id);
    const finished = found instanceof FinishedEnvironment;
    const lastSeq = finished ? found.lastSeq : found.log.lastSeq;
    if (afterSeq > lastSeq && (finished || found.log.isClosed)) {
      throw new BadRequestError(`after_seq ${afterSeq} is beyond the last event (${lastSeq}) of a finished environment`);
    }
    return finished ? found.events(afterSeq, filter, signal) : found.watch(afterSeq, filter, signal);
  }

  get(id: string): Environment {
    return this.lookup(id).snapshot();
  }

  list(): Environment[] {
    return [...this.runs.values()].filter((r) => !r.down).map((r) => r.snapshot());
  }

  log(id: string, signal?: AbortSignal, afterSeq = 0n): AsyncIterable<Event> {
    const found = this.lookup(id);
    if (found instanceof FinishedEnvironment) return found.events(afterSeq, ALL_EVENTS, signal);
    return found.log.replay(signal, afterSeq);
  }

  observe(id: string, observer: (event: Event) => void): void {
    const run = this.runs.get(id);
    if (!run) throw new EnvironmentNotFoundError(id);
    run.log.observe(observer);
  }

  async post(request: PostEventRequest): Promise<bigint> {
    const found = this.lookup(request.environmentId);
    if (found instanceof FinishedEnvironment) return postToFinished(found, request);
    const run = found;
    const event = request.event;
    const needService = (): string => {
      if (!request.service) throw new BadRequestError(`${event.case} needs the service it is about`);
      if (!run.hasService(request.service)) {
        throw new BadRequestError(`environment ${run.id} has no service "${request.service}"`);
      }
      return request.service;
    };
    switch (event.case) {
      case "callbackResponse": {
        if (!event.value.requestId) throw new BadRequestError("callback_response.request_id is required");
        if (!run.answerCallback(event.value.requestId, event.value.error, request.service)) {
          throw new StateError(
            `callback ${event.value.requestId} is not pending (unknown, already answered, timed out, or the environment stopped)`,
          );
        }
        return run.log.lastSeq;
      }
      case "serviceError": {
        const service = needService();
        const seq = run.append(service, { case: "serviceError", value: create(ServiceErrorSchema, event.value) });
        run.failService(service, `client service reported an error: ${event.value.error}`);
        return seq;
      }
      case "serviceLogs": {
        const service = needService();
        let seq = run.log.lastSeq;
        for (const line of event.value.lines) {
          seq = run.append(service, { case: "serviceLog", value: create(ServiceLogSchema, line) });
        }
        return seq;
      }
      case "testNote":
        return run.append(request.service, { case: "testNote", value: create(TestNoteSchema, event.value) });
      default:
        throw new BadRequestError("post_event needs one of callback_response, service_error, service_logs, test_note");
    }
  }

  async destroy(request: DestroyEnvironmentRequest): Promise<DestroyEnvironmentResponse> {
    const found = this.lookup(request.environmentId);
    if (found instanceof FinishedEnvironment) return destroyedAlready(found, request);
    const run = found;
    const down = await run.destroy({
      reason: DownReason.DESTROYED,
      testFailed: request.testFailed,
      preserve: request.preserve,
      detail: request.reason,
    });
    return create(DestroyEnvironmentResponseSchema, {
      envDir: run.envDir,
      tempDirs: run.tempDirs(),
      eventLogPath: run.eventLogPath,
      logPath: run.logPath,
      preserved: run.finalized?.preserved ?? false,
      down,
    });
  }

  async shutdown(): Promise<void> {
    this.closing = true;
    await Promise.allSettled(
      [...this.runs.values()].map((run) => run.destroy({ reason: DownReason.SHUTDOWN, detail: "rigd is stopping" })),
    );
    await Promise.allSettled([...this.removals]);
    await this.options.onShutdown?.();
  }
}

/**
 * A client event for an environment that is finished: as for a down run still in memory,
 * logs and notes are not appended (the seq is the last one) and no callback is pending.
 */
function postToFinished(env: FinishedEnvironment, request: PostEventRequest): bigint {
  const event = request.event;
  if (event.case === "callbackResponse") {
    throw new StateError(`callback ${event.value.requestId} is not pending (the environment ${env.id} is down)`);
  }
  if ((event.case === "serviceError" || event.case === "serviceLogs") && !env.snapshot().services.some((s) => s.name === request.service)) {
    throw new BadRequestError(`environment ${env.id} has no service "${request.service}"`);
  }
  return env.lastSeq;
}

/** DestroyEnvironment of a finished environment: idempotent, the same answer as the first time. */
function destroyedAlready(env: FinishedEnvironment, request: DestroyEnvironmentRequest): DestroyEnvironmentResponse {
  const snapshot = env.snapshot();
  const down = snapshot.down!;
  const tempDirs: Record<string, string> = {};
  for (const service of snapshot.services) if (service.tempDir) tempDirs[service.name] = service.tempDir;
  return create(DestroyEnvironmentResponseSchema, {
    envDir: snapshot.envDir,
    tempDirs,
    eventLogPath: env.eventLogPath,
    logPath: env.logPath,
    preserved: env.preserved,
    down: request.testFailed && !down.testFailed ? { ...down, testFailed: true } : down,
  });
}
