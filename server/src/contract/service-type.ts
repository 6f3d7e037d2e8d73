/**
 * The contract between the orchestrator and a service type (SPEC §5).
 *
 * A type is one small object, generic over its config message: it says how to read its
 * config from a declared service, validates it (templates included), publishes
 * endpoints and starts a running service. Everything else is an optional capability the
 * orchestrator discovers at run time (artifacts, server-side hooks, custom readiness).
 * Adding a type never touches the orchestrator: it is one file and one registration
 * line in rigd's composition root (`rigd/compose-backend.ts`).
 *
 * Every member is a method, so a `ServiceType<ProcessConfig>` is a `ServiceType`: the
 * registry holds them side by side and each type sees its own config typed, no casts.
 */
import type { Logger } from "pino";
import type { Endpoint, Wiring } from "../gen/rig/v1/event_pb.js";
import type { CallbackKind, LogStream } from "../gen/rig/v1/event_pb.js";
import type { Event } from "../gen/rig/v1/event_pb.js";
import type { Hook, Protocol, Service } from "../gen/rig/v1/spec_pb.js";
import type { PlannedIngress, PlannedService, WaitPlan } from "./plan.js";

/** Receives validation problems; `path` is relative to the service (e.g. `process.command`). */
export interface ProblemSink {
  add(path: string, message: string): void;
}

/** What validation needs to know about a type. */
export interface TypeDefaults {
  /** Protocol of the ingress named `default` when the spec declares none; undefined: no default ingress. */
  readonly defaultProtocol: Protocol | undefined;
  /** Hook kinds the type can run server-side (`sql`, `exec`); `client_func` is always allowed. */
  readonly serverHooks: readonly ("sql" | "exec")[];
  /** Attribute names the type publishes on its ingresses (for template validation), e.g. PGHOST. */
  readonly attributes: readonly string[];
  /** Readiness waits only this type can check (`healthcheck`); the others work for every type. */
  readonly waits?: readonly "healthcheck"[];
}

/** Facts about the environment a service belongs to. */
export interface EnvironmentInfo {
  readonly id: string;
  readonly name: string;
  readonly envDir: string;
  /** Client working directory. */
  readonly dir: string;
  /** Client environment (or rigd's when the client sent none). */
  readonly hostEnv: Readonly<Record<string, string>>;
}

/**
 * Checks `${VAR}` templates in a type's config against what the service will know at
 * start: its wiring variables (own ingresses, egresses, RIG_*), the host env and `extra`
 * (the config's own env, when templates may refer to it).
 */
export interface TemplateScope {
  /** Reports, under `field[i]`, every variable of `values[i]` that is not defined. */
  check(field: string, values: readonly string[], extra?: Readonly<Record<string, string>>): void;
}

/** What a type's validate() gets besides its config. */
export interface ValidationContext<C> {
  readonly service: PlannedService<C>;
  /** Problems go here; paths are relative to the service (e.g. `process.command`). */
  readonly problems: ProblemSink;
  readonly templates: TemplateScope;
}

/** Context shared by every call into a type for one service. */
export interface ServiceContext<C = unknown> {
  readonly environment: EnvironmentInfo;
  readonly service: PlannedService<C>;
  readonly log: Logger;
  /** Aborted when the environment stops starting (failure or destroy). */
  readonly signal: AbortSignal;
  /**
   * Registers cleanup that runs at teardown after the service stopped, in reverse
   * registration order, even when the service never started. Owners of leases,
   * containers and files use this so nothing leaks.
   */
  onRelease(cleanup: () => Promise<Kept> | Kept): void;
  /**
   * At teardown: whether the user asked to keep state for inspection (a failure with
   * RIG_PRESERVE_ON_FAILURE in the client's environment, RIG_PRESERVE, or a destroy with
   * preserve). Types that can keep something (a stopped container) do, and their
   * cleanup returns a line saying what was kept and how to inspect it.
   */
  keepForInspection?(): boolean;
}

/** What a cleanup kept for inspection, in words (undefined: nothing). */
export type Kept = string | undefined | void;

/** An endpoint as a type publishes it; attributes may still hold ${HOST}/${PORT}/${HOSTPORT}. */
export interface PublishedEndpoint {
  readonly host: string;
  readonly port: number;
  readonly protocol: Protocol;
  readonly attributes: Readonly<Record<string, string>>;
}

export interface PublishContext<C = unknown> extends ServiceContext<C> {
  /** A free loopback port, reserved for this environment until teardown. */
  allocatePort(): Promise<number>;
  /** Resolved artifacts of this service, by artifact key. */
  readonly artifacts: ReadonlyMap<string, unknown>;
  /**
   * What each egress target published, by egress name, attributes still unresolved
   * (targets are ready before publish). Proxies republish these against their own address.
   */
  readonly egressTemplates: Readonly<Record<string, PublishedEndpoint>>;
}

/** Output of a running service, line by line. */
export interface OutputSink {
  line(stream: LogStream, text: string): void;
}

export interface StartContext<C = unknown> extends ServiceContext<C> {
  readonly ingresses: Readonly<Record<string, Endpoint>>;
  readonly egresses: Readonly<Record<string, Endpoint>>;
  /** What each egress target published (attributes unresolved), as publish saw them. */
  readonly egressTemplates: Readonly<Record<string, PublishedEndpoint>>;
  readonly wiring: Wiring;
  /** The wiring env vars of SPEC §7 (RIG_*, HOST, PORT, <EGRESS>_HOST, ...). */
  readonly wiringEnv: Readonly<Record<string, string>>;
  /**
   * The wiring env vars for another view of the same endpoints (a container sees its
   * ingresses on container ports and its egresses through forwarders).
   */
  wiringEnvFor(view: {
    readonly ingresses: Readonly<Record<string, Endpoint>>;
    readonly egresses: Readonly<Record<string, Endpoint>>;
  }): Record<string, string>;
  /** Expands ${VAR} against `vars` (default: host env, config env and wiring env). */
  expand(template: string, vars?: Readonly<Record<string, string>>): string;
  readonly tempDir: string;
  readonly artifacts: ReadonlyMap<string, unknown>;
  readonly output: OutputSink;
  /** Runs a client callback and resolves when it is answered (rejects on error or timeout). */
  callback(name: string, kind: CallbackKind, phase: string): Promise<void>;
  /** Appends an event about this service to the environment's log (proxies record traffic). */
  emit(payload: Event["payload"]): void;
}

/** How a service ended. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: string | null;
  /** Set when the service ended because of an error (e.g. a client service_error). */
  readonly error?: string;
}

/** A started service. The orchestrator owns it and stops it at teardown. */
export interface RunningService {
  /** Resolves when the service ends, on its own or after stop(). Never rejects. */
  readonly exited: Promise<ExitStatus>;
  /**
   * Stops the service (gracefully, then forcefully) and resolves once it is gone and
   * swept up. `onGone`, when given, is called as soon as the service can no longer act
   * (a host process: its main process exited and its process group is killed), which
   * may be before the sweep the promise waits for (descendants that left the group,
   * records): teardown stops the services this one depends on from that moment.
   */
  stop(onGone?: (status: ExitStatus) => void): Promise<ExitStatus>;
  /** Host pid, when the service is a host process. */
  readonly pid?: number;
  /** One-line description for service.starting (e.g. the command line). */
  readonly detail?: string;
}

/** One probe of readiness: ready, or not yet with why. Must honour the signal. */
export type ReadinessProbe = (signal: AbortSignal) => Promise<{ ready: boolean; detail?: string }>;

export interface ReadinessContext<C = unknown> extends ServiceContext<C> {
  readonly ingress: PlannedIngress;
  readonly endpoint: Endpoint;
}

export interface HookContext<C = unknown> extends StartContext<C> {
  readonly phase: "prestart" | "init";
}

/** Something a service needs before anything starts (image, binary), shared by key. */
export interface Artifact {
  /** Deduplication key across all environments of this rigd (e.g. `docker-image:postgres:16`). */
  readonly key: string;
  readonly description: string;
  /**
   * Resolved anew at every request instead of once per rigd: its value depends on files
   * that change between runs (a build from source checks its cache each time).
   * Concurrent requests still share one resolution.
   */
  readonly perRequest?: boolean;
  /** Already present without work (e.g. image exists locally)? Optional fast path. */
  isCached?(signal: AbortSignal): Promise<boolean>;
  /**
   * Produces the artifact; the value is handed to publish/start under `key`. A
   * `CachedArtifact` says it was found ready-made (reported as artifact.cached).
   * `progress` takes human-readable lines (build output, pull status) for every waiting
   * environment.
   */
  resolve(signal: AbortSignal, progress?: (line: string) => void): Promise<unknown>;
}

/** What `Artifact.resolve` returns when it did no work: the value and where it came from. */
export class CachedArtifact {
  constructor(
    readonly value: unknown,
    /** Why no work was needed, e.g. `built earlier (RIG_DIR/cache/go/<hash>)`. */
    readonly detail: string,
  ) {}
}

export interface ArtifactContext<C = unknown> {
  readonly environment: EnvironmentInfo;
  readonly service: PlannedService<C>;
}

/** A command run in a running service. */
export interface ExecRequest {
  readonly command: readonly string[];
  /** Written to stdin, which is then closed. */
  readonly stdin?: Uint8Array;
  readonly env?: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly signal: AbortSignal;
}

/** What a command printed and how it ended. */
export interface ExecOutcome {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** What is copied into a service: a host file or directory, or one file's content. */
export type CopySource = { readonly hostPath: string } | { readonly content: Uint8Array; readonly mode: number };

/** Operations on a running service that only some types can do (containers). */
export interface ServiceOperations {
  exec(request: ExecRequest): Promise<ExecOutcome>;
  /** Puts the file or directory at absolute `path` in the service (parents created). */
  copyTo(path: string, source: CopySource): Promise<void>;
  /** Copies the file or directory at absolute `path` in the service to `hostPath`. */
  copyFrom(path: string, hostPath: string): Promise<void>;
}

/** A service type over its config message `C`. */
export interface ServiceType<C = unknown> {
  /** Registered name, e.g. `process`; for a `custom` service, its `custom.type`. */
  readonly name: string;
  /** Inserted by the server (proxy, the ~test node), never declared by a user. */
  readonly internal?: boolean;
  readonly defaults: TypeDefaults;
  /**
   * Reads this type's config from a declared service: the oneof message of its case,
   * or the `custom` Struct as JSON. Undefined when the service declares another type.
   */
  configOf(service: Service): C | undefined;
  /** Reports missing or malformed config, templates included. Optional. */
  validate?(ctx: ValidationContext<C>): void;
  /** Artifacts to resolve in the artifact phase. Optional. */
  artifacts?(ctx: ArtifactContext<C>): Artifact[];
  /** Resolves the service's ingress endpoints (allocating ports or acquiring leases). */
  publish(ctx: PublishContext<C>): Promise<Record<string, PublishedEndpoint>>;
  /** Starts the service; resolves once it is started (not necessarily ready). */
  start(ctx: StartContext<C>): Promise<RunningService>;
  /** Replaces the protocol readiness check of an ingress. Optional. */
  readiness?(ctx: ReadinessContext<C>): ReadinessProbe | undefined;
  /**
   * A probe for a readiness wait the type checks its own way (a command inside its
   * container, its image's HEALTHCHECK); undefined: the generic one (host command, HTTP,
   * log line). Optional; required for the waits listed in defaults.waits.
   */
  waitProbe?(ctx: ReadinessContext<C>, wait: WaitPlan): ReadinessProbe | undefined;
  /** Runtime operations on a started service (exec, files). Optional: without it they are refused. */
  operations?(ctx: ServiceContext<C>): ServiceOperations;
  /** Runs a server-side hook (`sql`, `exec`). Optional; required when defaults.serverHooks is non-empty. */
  runHook?(ctx: HookContext<C>, hook: Hook): Promise<void>;
}
