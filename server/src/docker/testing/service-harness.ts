/**
 * A minimal stand-in for the orchestrator, for specs and benchmarks of the Docker-backed
 * types: it builds the contexts a type receives by hand and walks one service through
 * artifacts -> publish -> start -> readiness -> init hooks, and tears everything down
 * (stop, releases in reverse, ports, dirs). Real engine, real pools; no rigd, no events.
 */
import { create } from "@bufbuild/protobuf";
import { mkdtemp, rm, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { EndpointSchema, LogStream, WiringSchema, type Endpoint } from "../../gen/rig/v1/event_pb.js";
import { Protocol, ServiceSchema, type Hook } from "../../gen/rig/v1/spec_pb.js";
import type { PlannedIngress, PlannedService, ReadinessPlan } from "../../contract/plan.js";
import { PortAllocator } from "../../ports/port-allocator.js";
import { probeFor, waitUntilReady } from "../../readiness/index.js";
import type {
  EnvironmentInfo,
  HookContext,
  Kept,
  PublishedEndpoint,
  RunningService,
  ServiceContext,
  ServiceType,
  StartContext,
} from "../../contract/service-type.js";
import { expandTemplate, resolveAttributes } from "../../wiring/templates.js";
import { buildWiringEnv } from "../../wiring/wiring-env.js";

/** One ingress of a harness service; unset fields take the type's defaults. */
export interface HarnessIngress {
  readonly name?: string;
  readonly protocol?: Protocol;
  readonly containerPort?: number;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly ready?: ReadinessPlan["kind"];
  readonly httpPath?: string;
}

/** A service to bring up. */
export interface HarnessServiceSpec {
  readonly name: string;
  readonly type: ServiceType;
  /** The type's config message (ContainerConfig, PostgresConfig, ...). */
  readonly config: unknown;
  /** Default: one `default` ingress of the type's default protocol. */
  readonly ingresses?: readonly HarnessIngress[];
  /** Egresses to services already up in this environment. */
  readonly egresses?: readonly { readonly name: string; readonly service: string; readonly ingress?: string }[];
  readonly prestart?: readonly Hook[];
  readonly init?: readonly Hook[];
  readonly readyTimeoutMs?: number;
}

/** An output line of a service. */
export interface HarnessLine {
  readonly stream: LogStream;
  readonly text: string;
}

/** A service that came up. */
export interface HarnessService {
  readonly planned: PlannedService;
  readonly published: Record<string, PublishedEndpoint>;
  /** Own endpoints with attributes resolved. */
  readonly endpoints: Record<string, Endpoint>;
  readonly running: RunningService;
  readonly lines: HarnessLine[];
  /** Resolves when a line matching `pattern` has been printed. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

interface Runtime {
  readonly releases: (() => Promise<Kept> | Kept)[];
  readonly ports: number[];
  running: RunningService | undefined;
}

const quiet = pino({ level: "silent" });

/** One environment's worth of services, brought up by hand. */
export class HarnessEnvironment implements AsyncDisposable {
  private readonly services = new Map<string, HarnessService>();
  private readonly runtimes: Runtime[] = [];
  private readonly controller = new AbortController();
  private readonly ports = new PortAllocator();
  private downPromise: Promise<void> | undefined;

  private constructor(
    readonly id: string,
    readonly envDir: string,
  ) {}

  /** A new environment with its own id and env dir. */
  static async create(name = "h"): Promise<HarnessEnvironment> {
    const envDir = await mkdtemp(join(tmpdir(), `rig-harness-${name}-`));
    const id = `${name}-${Math.random().toString(36).slice(2, 8)}`;
    return new HarnessEnvironment(id, envDir);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The planned form of a spec, with the defaults validation would fill. */
  plan(spec: HarnessServiceSpec): PlannedService {
    const ingresses: PlannedIngress[] = (spec.ingresses ?? [{}]).map((i) => {
      const protocol = (i.protocol ?? spec.type.defaults.defaultProtocol) as Protocol;
      const kind = i.ready ?? (protocol === Protocol.HTTP ? "http" : protocol === Protocol.GRPC ? "grpc" : "tcp");
      return {
        name: i.name ?? "default",
        protocol,
        attributes: i.attributes ?? {},
        containerPort: i.containerPort ?? 0,
        ready: {
          kind,
          httpPath: i.httpPath ?? "/",
          grpcService: "",
          timeoutMs: spec.readyTimeoutMs ?? 30_000,
          intervalMs: 10,
          maxIntervalMs: 250,
        },
      };
    });
    const egresses = (spec.egresses ?? []).map((e) => ({ name: e.name, service: e.service, ingress: e.ingress ?? "default" }));
    return {
      name: spec.name,
      type: spec.type.name,
      spec: create(ServiceSchema, { name: spec.name }),
      config: spec.config,
      ingresses,
      egresses,
      dependsOn: egresses.map((e) => e.service),
      prestart: [...(spec.prestart ?? [])],
      init: [...(spec.init ?? [])],
      requires: [],
      internal: false,
    };
  }

  /** Runs the artifact phase of a spec (isCached, else resolve). */
  async artifacts(spec: HarnessServiceSpec): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    const planned = this.plan(spec);
    for (const artifact of spec.type.artifacts?.({ environment: this.info(), service: planned }) ?? []) {
      const cached = artifact.isCached ? await artifact.isCached(this.signal) : false;
      out.set(artifact.key, cached ? undefined : await artifact.resolve(this.signal));
    }
    return out;
  }

  /** Brings a service up to ready (init hooks done). On failure its releases still run at down(). */
  async up(spec: HarnessServiceSpec): Promise<HarnessService> {
    const planned = this.plan(spec);
    const type = spec.type;
    const runtime: Runtime = { releases: [], ports: [], running: undefined };
    this.runtimes.push(runtime);
    const base: ServiceContext = {
      environment: this.info(),
      service: planned,
      log: quiet,
      signal: this.signal,
      onRelease: (cleanup) => void runtime.releases.push(cleanup),
    };

    const artifacts = await this.artifacts(spec);
    const egressTemplates: Record<string, PublishedEndpoint> = {};
    const egresses: Record<string, Endpoint> = {};
    for (const e of planned.egresses) {
      const target = this.services.get(e.service);
      const published = target?.published[e.ingress];
      const endpoint = target?.endpoints[e.ingress];
      if (!published || !endpoint) throw new Error(`egress ${e.name}: ${e.service}.${e.ingress} is not up`);
      egressTemplates[e.name] = published;
      egresses[e.name] = endpoint;
    }

    const published = await type.publish({
      ...base,
      artifacts,
      egressTemplates,
      allocatePort: async () => {
        const port = await this.ports.allocate();
        runtime.ports.push(port);
        return port;
      },
    });
    const endpoints: Record<string, Endpoint> = {};
    for (const [name, p] of Object.entries(published)) {
      endpoints[name] = create(EndpointSchema, {
        host: p.host,
        port: p.port,
        protocol: p.protocol,
        attributes: resolveAttributes(p.attributes, p.host, p.port),
      });
    }

    const tempDir = join(this.envDir, `svc-${planned.name}`);
    await mkdir(tempDir, { recursive: true });
    const wiringEnv = buildWiringEnv({ service: planned.name, ingresses: endpoints, egresses, tempDir, envDir: this.envDir });
    const lines: HarnessLine[] = [];
    const waiters = new Set<() => void>();
    const startCtx: StartContext = {
      ...base,
      ingresses: endpoints,
      egresses,
      egressTemplates,
      wiring: create(WiringSchema, { ingresses: endpoints, egresses, tempDir, envDir: this.envDir }),
      wiringEnv,
      wiringEnvFor: (view) => buildWiringEnv({ service: planned.name, ...view, tempDir, envDir: this.envDir }),
      expand: (template, vars) => expandTemplate(template, vars ?? wiringEnv),
      tempDir,
      artifacts,
      output: {
        line(stream, text) {
          lines.push({ stream, text });
          for (const wake of waiters) wake();
        },
      },
      callback: () => Promise.reject(new Error("the harness has no client for callbacks")),
      emit: () => {},
    };

    for (const hook of planned.prestart) await this.hook(type, startCtx, hook, "prestart");
    const running = await type.start(startCtx);
    runtime.running = running;

    for (const ingress of planned.ingresses) {
      const endpoint = endpoints[ingress.name];
      if (!endpoint) continue;
      const probe = type.readiness?.({ ...base, ingress, endpoint }) ?? probeFor(endpoint, ingress.ready);
      const exited = new AbortController();
      void running.exited.then((s) => exited.abort(new Error(`${planned.name} exited (code ${s.code}) before ready: ${s.error ?? ""}`)));
      await waitUntilReady(probe, { ...ingress.ready, signal: AbortSignal.any([this.signal, exited.signal]) });
    }
    for (const hook of planned.init) await this.hook(type, startCtx, hook, "init");

    const service: HarnessService = {
      planned,
      published,
      endpoints,
      running,
      lines,
      waitForLine(pattern, timeoutMs = 10_000) {
        return new Promise((resolve, reject) => {
          const check = (): boolean => {
            const hit = lines.find((l) => pattern.test(l.text));
            if (!hit) return false;
            waiters.delete(wake);
            clearTimeout(timer);
            resolve(hit.text);
            return true;
          };
          const wake = (): void => void check();
          const timer = setTimeout(() => {
            waiters.delete(wake);
            reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; got:\n${lines.map((l) => l.text).join("\n")}`));
          }, timeoutMs);
          waiters.add(wake);
          check();
        });
      },
    };
    this.services.set(planned.name, service);
    return service;
  }

  /** Stops every service (reverse order), runs releases in reverse, frees ports, removes the env dir. */
  down(): Promise<void> {
    this.downPromise ??= (async () => {
      this.controller.abort(new Error("environment is going down"));
      const errors: unknown[] = [];
      for (const runtime of [...this.runtimes].reverse()) {
        try {
          await runtime.running?.stop();
        } catch (err) {
          errors.push(err);
        }
        for (const release of [...runtime.releases].reverse()) {
          try {
            await release();
          } catch (err) {
            errors.push(err);
          }
        }
        for (const port of runtime.ports) this.ports.release(port);
      }
      await rm(this.envDir, { recursive: true, force: true });
      if (errors.length > 0) throw new AggregateError(errors, `teardown of ${this.id} had ${errors.length} error(s)`);
    })();
    return this.downPromise;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.down();
  }

  private info(): EnvironmentInfo {
    return { id: this.id, name: "harness", envDir: this.envDir, dir: process.cwd(), hostEnv: {} };
  }

  private async hook(type: ServiceType, ctx: StartContext, hook: Hook, phase: HookContext["phase"]): Promise<void> {
    if (!type.runHook) throw new Error(`type ${type.name} runs no server-side hooks`);
    await type.runHook({ ...ctx, phase }, hook);
  }
}
