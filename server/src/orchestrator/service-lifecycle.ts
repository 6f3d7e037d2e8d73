/**
 * The lifecycle of one service (SPEC §4) as a sequence of small named steps:
 *
 *   dependencies -> resources -> publish -> wire -> prestart -> start -> ready -> init -> mark ready
 *
 * Each step does one thing and emits its event; the run stops between steps once the
 * environment stops starting. The steps know nothing of the environment beyond the
 * `LifecycleHost` the run hands them.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import type { Logger } from "pino";
import { abortable } from "../async/abortable.js";
import { yieldIfBusy } from "../async/time-slice.js";
import type { CallbackBroker } from "../callbacks/callback-broker.js";
import { TEST_NODE, type EnvironmentPlan } from "../contract/plan.js";
import type { EnvironmentInfo, ExitStatus, HookContext, ServiceContext, ServiceOperations, StartContext } from "../contract/service-type.js";
import type { EventLog, EventPayload } from "../events/event-log.js";
import {
  CallbackKind,
  EndpointSchema,
  IngressPublishedSchema,
  ServiceHealthySchema,
  ServiceInitSchema,
  ServicePrestartSchema,
  ServiceReadySchema,
  ServiceStartingSchema,
  ServiceStoppedSchema,
  ServiceStoppingSchema,
  WiringResolvedSchema,
  WiringSchema,
  LogStream,
  ServiceLogSchema,
  type Wiring,
} from "../gen/rig/v1/event_pb.js";
import { ServicePhase } from "../gen/rig/v1/environment_service_pb.js";
import type { Hook } from "../gen/rig/v1/spec_pb.js";
import type { PortAllocator } from "../ports/port-allocator.js";
import type { ResourceLocks } from "../contract/resource-locks.js";
import { waitUntilReady } from "../readiness/wait-until-ready.js";
import { expandTemplate, resolveAttributes } from "../wiring/templates.js";
import { buildWiringEnv, envPrefix } from "../wiring/wiring-env.js";
import { listeningAddresses } from "../os/listening-sockets.js";
import { ingressProbe } from "./ingress-readiness.js";
import type { ServiceRuntime } from "./service-runtime.js";

/** What the steps need from the environment they run in. */
export interface LifecycleHost {
  readonly plan: EnvironmentPlan;
  readonly info: EnvironmentInfo;
  /** Per-environment scratch root; service temp dirs go under `services/`. */
  readonly runDir: string;
  readonly log: EventLog;
  readonly ports: PortAllocator;
  /** Where required resources are taken from; undefined when this rigd has no lock service. */
  readonly locks: ResourceLocks | undefined;
  readonly callbacks: CallbackBroker;
  readonly logger: Logger;
  /** The runtime of another service of this environment. */
  service(name: string): ServiceRuntime;
  emit(service: string, payload: EventPayload): void;
  setPhase(rt: ServiceRuntime, phase: ServicePhase, waitingFor?: string | (() => string)): void;
  /** A line of the service's output. */
  output(rt: ServiceRuntime, stream: LogStream, line: string): void;
  /** The service ended (at any time after start). */
  exited(rt: ServiceRuntime, status: ExitStatus): void;
  /** The ~test node became ready. */
  testNodeReady(rt: ServiceRuntime): void;
  /** Set at teardown when the user asked to keep state for inspection. */
  readonly keepingForInspection: boolean;
}

/** What one run of the steps builds up as it goes. */
interface StepState {
  readonly host: LifecycleHost;
  readonly rt: ServiceRuntime;
  readonly signal: AbortSignal;
  readonly base: ServiceContext;
  /** Set by `wire`. */
  start?: StartContext;
  /** Seq of the last event before `start` (log waits count output after it). */
  startedAfterSeq?: bigint;
  /** Told of every output line: a service often says it listens before a probe finds out. */
  readonly lineListeners: Set<() => void>;
}

type Step = (state: StepState) => Promise<void> | void;

/** How a service ended, in words, for failure reasons. */
export function describeExit(status: ExitStatus): string {
  if (status.error) return status.error;
  if (status.signal) return `was killed by ${status.signal}`;
  return `exited with code ${status.code}`;
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * When a host process group listens, but not on the port rig gave it, says where it
 * listens (`; api listens on 127.0.0.1:18555, not on PORT=30675`); "" otherwise.
 */
function elsewhere(rt: ServiceRuntime, ingress: string, port: number): string {
  const pgid = rt.running?.pid;
  if (!pgid) return "";
  const listening = listeningAddresses(pgid);
  if (listening.length === 0 || listening.some((address) => address.endsWith(`:${port}`))) return "";
  const variable = ingress === "default" ? "PORT" : `${envPrefix(ingress)}_PORT`;
  return `; ${rt.name} listens on ${listening.join(", ")}, not on ${variable}=${port}`;
}

/** Waits for every dependency's service.ready. */
const dependencies: Step = async ({ host, rt, signal }) => {
  for (const dep of rt.planned.dependsOn) {
    host.setPhase(rt, ServicePhase.PENDING, `service ${dep} to be ready`);
    // The dependency's own promise, resolved as it publishes service.ready: waiting costs
    // nothing per event, so a chain of thousands is linear, not quadratic.
    await abortable(host.service(dep).ready, signal);
  }
};

/**
 * Takes the resources the spec requires, all at once, in the lock table test processes
 * use too; the service's teardown lets them go (after it stopped). While it waits, its
 * log and stall reports say for what and behind whom.
 */
const resources: Step = async ({ host, rt, signal }) => {
  const claims = rt.planned.requires;
  if (claims.length === 0) return;
  if (!host.locks) throw new Error("this rigd has no lock service to take the required resources from");
  const pending = host.locks.acquire({ claims, owner: { environmentId: host.info.id, service: rt.name }, signal });
  const note = (line: string): void =>
    host.emit(rt.name, { case: "serviceLog", value: create(ServiceLogSchema, { stream: LogStream.STDERR, line: `[rig: ${line}]` }) });
  const started = Date.now();
  if (!pending.immediate) {
    host.setPhase(rt, ServicePhase.PENDING, () => pending.blockers());
    note(`waiting for ${pending.blockers()}`);
  }
  const held = await pending.held;
  rt.releases.push(() => held.release());
  if (!pending.immediate) note(`took ${claims.map((c) => c.resource).join(", ")} after waiting ${((Date.now() - started) / 1000).toFixed(1)}s`);
};

/** Allocates ports or leases through the type and resolves attribute templates: ingress.published. */
const publish: Step = async ({ host, rt, base }) => {
  const planned = rt.planned;
  host.setPhase(rt, ServicePhase.PUBLISHED, "ports and endpoints");
  if (!planned.internal) {
    rt.tempDir = join(host.runDir, "services", planned.name);
    mkdirSync(rt.tempDir, { recursive: true });
  }
  rt.egressTemplates = Object.fromEntries(
    planned.egresses.map((e) => [e.name, host.service(e.service).published[e.ingress]!]),
  );
  rt.published = await rt.type.publish({
    ...base,
    artifacts: rt.artifacts,
    egressTemplates: rt.egressTemplates,
    allocatePort: async () => {
      const port = await host.ports.allocate();
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
  host.emit(rt.name, { case: "ingressPublished", value: create(IngressPublishedSchema, { ingresses: rt.endpoints }) });
};

/** What the service is told about itself and its egresses: wiring.resolved, and the start context. */
const wire: Step = (state) => {
  const { host, rt, signal, base } = state;
  const planned = rt.planned;
  for (const egress of planned.egresses) {
    rt.egressEndpoints[egress.name] = host.service(egress.service).endpoints[egress.ingress]!;
  }
  const envDir = host.info.envDir;
  const wiring: Wiring = create(WiringSchema, {
    ingresses: rt.endpoints,
    egresses: rt.egressEndpoints,
    tempDir: rt.tempDir,
    envDir,
  });
  const wiringEnvFor: StartContext["wiringEnvFor"] = (view) =>
    buildWiringEnv({ service: rt.name, ingresses: view.ingresses, egresses: view.egresses, tempDir: rt.tempDir, envDir });
  const wiringEnv = planned.internal ? {} : wiringEnvFor({ ingresses: rt.endpoints, egresses: rt.egressEndpoints });
  host.emit(rt.name, { case: "wiringResolved", value: create(WiringResolvedSchema, { wiring }) });

  state.start = {
    ...base,
    ingresses: rt.endpoints,
    egresses: rt.egressEndpoints,
    egressTemplates: rt.egressTemplates,
    wiring,
    wiringEnv,
    wiringEnvFor,
    expand: (template, vars) => expandTemplate(template, vars ?? { ...host.plan.hostEnv, ...wiringEnv }),
    tempDir: rt.tempDir,
    artifacts: rt.artifacts,
    output: {
      line: (stream, text) => {
        host.output(rt, stream, text);
        for (const listener of state.lineListeners) listener();
      },
    },
    callback: (name, kind, phase) => host.callbacks.request({ name, kind, service: rt.name, wiring, phase }, signal),
    emit: (payload) => {
      if (!host.log.isClosed) host.emit(rt.name, payload);
    },
  };
};

/** Runs hooks in order: client functions through callbacks, sql/exec through the type. */
async function runHooks(state: StepState, hooks: readonly Hook[], phase: "prestart" | "init"): Promise<void> {
  const { rt } = state;
  const ctx = startContextOf(state);
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

function startContextOf(state: StepState): StartContext {
  if (!state.start) throw new Error(`service ${state.rt.name}: a step ran before its wiring was resolved`);
  return state.start;
}

/** Prestart hooks: service.prestart. */
const prestart: Step = async (state) => {
  const { host, rt } = state;
  host.setPhase(rt, ServicePhase.PRESTART, "prestart hooks");
  await runHooks(state, rt.planned.prestart, "prestart");
  host.emit(rt.name, { case: "servicePrestart", value: create(ServicePrestartSchema, { hooks: rt.planned.prestart.length }) });
};

/** Starts the service through its type: service.starting; its exit is watched from now on. */
const start: Step = async (state) => {
  const { host, rt } = state;
  host.setPhase(rt, ServicePhase.STARTING, "the service to start");
  state.startedAfterSeq = host.log.lastSeq;
  const running = await rt.type.start(startContextOf(state));
  rt.running = running;
  host.emit(rt.name, {
    case: "serviceStarting",
    value: create(ServiceStartingSchema, { pid: running.pid ?? 0, detail: running.detail ?? "" }),
  });
  rt.stoppedOnRequest = false;
  void running.exited.then((status) => {
    // A service stopped on request, or replaced by a restart, ended as asked.
    if (rt.running === running && !rt.stoppedOnRequest) host.exited(rt, status);
  });
};

/** Readiness of every ingress, concurrently; an early exit ends the wait: service.healthy. */
const ready: Step = async (state) => {
  const { host, rt, signal } = state;
  const planned = rt.planned;
  const running = rt.running!;
  const healthStarted = Date.now();
  host.setPhase(rt, ServicePhase.STARTING, `readiness of ${planned.ingresses.map((i) => i.name).join(", ")}`);
  const exitedEarly = running.exited.then((status) => {
    throw new Error(`${describeExit(status)} before becoming ready`);
  });
  exitedEarly.catch(() => {}); // observed by the race below; later exits go to host.exited
  await Promise.race([
    Promise.all(
      planned.ingresses.map(async (ingress) => {
        const endpoint = rt.endpoints[ingress.name]!;
        const { probe, close } = ingressProbe({
          rt,
          start: startContextOf(state),
          ingress,
          endpoint,
          log: host.log,
          startedAfterSeq: state.startedAfterSeq ?? 0n,
          dir: host.plan.dir,
          hostEnv: host.plan.hostEnv,
        });
        try {
          await waitUntilReady(probe, {
            intervalMs: ingress.ready.intervalMs,
            maxIntervalMs: ingress.ready.maxIntervalMs,
            timeoutMs: ingress.ready.timeoutMs,
            signal,
            nudges: (listener) => {
              state.lineListeners.add(listener);
              return () => state.lineListeners.delete(listener);
            },
          });
        } catch (err) {
          if (signal.aborted) throw err;
          throw new Error(
            `readiness check of ingress "${ingress.name}" (${ingress.ready.kind} on ${endpoint.host}:${endpoint.port}) failed: ${errorMessage(err)}` +
              elsewhere(rt, ingress.name, endpoint.port),
          );
        } finally {
          close();
        }
      }),
    ),
    exitedEarly,
  ]);
  host.setPhase(rt, ServicePhase.HEALTHY, "init hooks");
  host.emit(rt.name, {
    case: "serviceHealthy",
    value: create(ServiceHealthySchema, { duration: durationFromMs(Date.now() - healthStarted) }),
  });
};

/** Init hooks: service.init. */
const init: Step = async (state) => {
  const { host, rt } = state;
  host.setPhase(rt, ServicePhase.INIT, "init hooks");
  await runHooks(state, rt.planned.init, "init");
  host.emit(rt.name, { case: "serviceInit", value: create(ServiceInitSchema, { hooks: rt.planned.init.length }) });
};

/** service.ready; for the ~test node, the environment is up. */
const markReady: Step = ({ host, rt }) => {
  host.setPhase(rt, ServicePhase.READY);
  host.emit(rt.name, { case: "serviceReady", value: create(ServiceReadySchema, {}) });
  rt.markReady();
  if (rt.name === TEST_NODE) host.testNodeReady(rt);
};

/** The steps in order (SPEC §4). */
const STEPS: readonly Step[] = [dependencies, resources, publish, wire, prestart, start, ready, init, markReady];

/**
 * Runs one service from waiting for its dependencies to service.ready. Rejects with the
 * failing step's error; returns early once `signal` aborts (teardown owns the rest).
 */
export async function runServiceLifecycle(host: LifecycleHost, rt: ServiceRuntime, signal: AbortSignal): Promise<void> {
  const base: ServiceContext = {
    environment: host.info,
    service: rt.planned,
    log: host.logger.child({ service: rt.name }),
    signal,
    onRelease: (cleanup) => {
      rt.releases.push(cleanup);
    },
    keepForInspection: () => host.keepingForInspection,
  };
  const state: StepState = { host, rt, signal, base, lineListeners: new Set() };
  started.set(rt, state);
  for (const step of STEPS) {
    // Back to the event loop between steps once this turn ran long: a thousand services
    // starting at once would otherwise run their synchronous parts back to back, and
    // every other client's call would wait behind them.
    await yieldIfBusy();
    if (signal.aborted) return;
    await step(state);
  }
}

/** Each service's step state, kept for restarts (the start context of its first run). */
const started = new WeakMap<ServiceRuntime, StepState>();

/** Stops a running service on request: service.stopping, service.stopped; its exit is no failure. */
export async function stopOnRequest(host: LifecycleHost, rt: ServiceRuntime): Promise<ExitStatus> {
  const running = rt.running;
  if (!running) throw new Error(`service ${rt.name} is not running`);
  rt.stoppedOnRequest = true;
  host.setPhase(rt, ServicePhase.STOPPING);
  host.emit(rt.name, { case: "serviceStopping", value: create(ServiceStoppingSchema, {}) });
  const status = await running.stop();
  host.emit(rt.name, { case: "serviceStopped", value: create(ServiceStoppedSchema, { exitCode: status.code ?? -1, signal: status.signal ?? "" }) });
  host.setPhase(rt, ServicePhase.STOPPED);
  return status;
}

/**
 * Starts a started service again (stopping it first when it runs) with the wiring of its
 * first start, and waits until it is ready: service.starting, service.healthy,
 * service.ready. Init hooks do not run again (they set up state, e.g. a schema).
 */
export async function restartOnRequest(host: LifecycleHost, rt: ServiceRuntime): Promise<void> {
  const state = started.get(rt);
  if (!state?.start) throw new Error(`service ${rt.name} has not started yet`);
  if (rt.running && !rt.stoppedOnRequest) await stopOnRequest(host, rt);
  for (const step of [start, ready, markReady]) {
    if (state.signal.aborted) throw new Error("the environment is going down");
    await step(state);
  }
}

/** The type's runtime operations on a started service (undefined: the type has none). */
export function operationsOf(rt: ServiceRuntime): ServiceOperations | undefined {
  const state = started.get(rt);
  return state ? rt.type.operations?.(state.base) : undefined;
}
