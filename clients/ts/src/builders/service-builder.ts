/**
 * The part every service builder shares: ingresses, egresses and lifecycle hooks.
 * Each concrete builder (process, func, container, postgres, redis, kafka, custom) adds its
 * own config; `toService` turns the whole into the API's Service message and registers
 * the closures it refers to.
 */
import { create } from "@bufbuild/protobuf";
import type { Hook, Ingress, Service } from "../gen/rig/v1/spec_pb.js";
import { EgressSchema, HookSchema, ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import type { HandlerRegistry, HookFn } from "../callbacks/handlers.js";
import type { IngressOptions } from "./ingress-options.js";
import { toIngress } from "./ingress-options.js";

/** Options of an egress. */
export interface EgressOptions {
  /** Target ingress; may be left out when the target has exactly one. */
  readonly ingress?: string;
  /** Local name used for the env vars (ORDERS_DB_HOST); default the target service's name. */
  readonly as?: string;
}

/** How a service holds a resource it requires. */
export interface RequireOptions {
  /** Together with other shared holders, up to the resource's max parallelism; default: alone (exclusive). */
  readonly shared?: boolean;
}

/** The type-specific part of a Service message (its `config` oneof). */
export type ServiceConfig = Service["config"];

/** A hook as declared: a closure to register, or a server-run action. */
type HookDecl = { readonly closure: HookFn } | { readonly action: Hook["action"] };

/** Fields every service has; concrete builders supply the config. */
export abstract class ServiceBuilder {
  readonly #ingresses: Array<{ name: string; options: IngressOptions }> = [];
  readonly #egresses: Array<{ service: string; options: EgressOptions }> = [];
  readonly #prestart: HookDecl[] = [];
  readonly #init: HookDecl[] = [];
  #noIngress = false;
  readonly #requires = new Map<string, RequireOptions>();

  /**
   * Declares an ingress (a port the service listens on). Without any, the service gets
   * its type's default ingress. `ingress({...})` configures the one named "default".
   */
  ingress(name: string, options?: IngressOptions): this;
  ingress(options: IngressOptions): this;
  ingress(nameOrOptions: string | IngressOptions, options?: IngressOptions): this {
    if (typeof nameOrOptions === "string") this.#ingresses.push({ name: nameOrOptions, options: options ?? {} });
    else this.#ingresses.push({ name: "default", options: nameOrOptions });
    return this;
  }

  /** The service listens on nothing (a worker): no default ingress, no readiness check. */
  noIngress(): this {
    this.#noIngress = true;
    return this;
  }

  /** Depends on another service's ingress: this service starts once that one is ready. */
  egress(service: string, options: EgressOptions = {}): this {
    this.#egresses.push({ service, options });
    return this;
  }

  /**
   * The service holds this resource (a rig.resource / LockService name) while it runs: it
   * starts once it holds every resource it requires, queueing behind test processes and
   * other environments, and lets them go when it stops.
   */
  requires(resource: string, options: RequireOptions = {}): this {
    this.#requires.set(resource, options);
    return this;
  }

  /** Runs a closure in the test process once ports and egresses are known, before the service starts. */
  prestart(fn: HookFn): this {
    this.#prestart.push({ closure: fn });
    return this;
  }

  /** Runs a closure in the test process once the service is healthy, before it is marked ready. */
  init(fn: HookFn): this {
    this.#init.push({ closure: fn });
    return this;
  }

  /** Adds a server-run hook (sql, exec); for builders whose type supports one. */
  protected addServerHook(phase: "prestart" | "init", action: Hook["action"]): this {
    (phase === "prestart" ? this.#prestart : this.#init).push({ action });
    return this;
  }

  /** The type-specific config of the service; registers closures it refers to. */
  protected abstract config(name: string, registry: HandlerRegistry): ServiceConfig;

  /**
   * The Service message for this builder under a name, registering its closures in the
   * environment's registry. Used by `rig.up`; handy for looking at what a builder sends.
   */
  toService(name: string, registry: HandlerRegistry): Service {
    return create(ServiceSchema, {
      name,
      ingresses: this.#ingresses.map(({ name: ingress, options }): Ingress => toIngress(ingress, options)),
      noIngress: this.#noIngress,
      egresses: this.#egresses.map(({ service, options }) =>
        create(EgressSchema, { name: options.as ?? "", service, ingress: options.ingress ?? "" }),
      ),
      prestart: this.#prestart.map((hook, i) => toHook(hook, `${name}.prestart.${i}`, registry)),
      init: this.#init.map((hook, i) => toHook(hook, `${name}.init.${i}`, registry)),
      requires: [...this.#requires].map(([resource, options]) => ({ resource, shared: options.shared ?? false })),
      config: this.config(name, registry),
    });
  }
}

function toHook(hook: HookDecl, handlerName: string, registry: HandlerRegistry): Hook {
  if ("closure" in hook) {
    registry.register(handlerName, { kind: "hook", fn: hook.closure });
    return create(HookSchema, { action: { case: "clientFunc", value: { name: handlerName } } });
  }
  return create(HookSchema, { action: hook.action });
}
