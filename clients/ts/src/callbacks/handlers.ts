/**
 * The closures a test registers with builders, and the per-environment registry that
 * maps the names put in the spec (ClientFuncHook.name, ClientConfig.start_handler) back
 * to them when rigd asks for them through a callback.request (SPEC §8).
 */
import type { Wiring } from "../environment/wiring.js";
import type { FuncLogger } from "./func-logger.js";

/** What a `.prestart(fn)` / `.init(fn)` closure gets. */
export interface HookContext {
  /** The service the hook belongs to. */
  readonly service: string;
  readonly phase: "prestart" | "init";
  /** Endpoints and temp dirs of the service; in prestart, egresses are ready and ports are allocated. */
  readonly wiring: Wiring;
  /** Aborts when the environment goes down while the hook runs. */
  readonly signal: AbortSignal;
}

/** A hook closure; throwing (or rejecting) fails the service with the error's message. */
export type HookFn = (context: HookContext) => void | Promise<void>;

/** What a `rig.func(fn)` service gets. */
export interface FuncContext {
  readonly service: string;
  /** Endpoints to listen on (`wiring.ingress().port`) and egresses to call. */
  readonly wiring: Wiring;
  /** Aborts when the service is stopped (teardown) or the environment goes down. */
  readonly signal: AbortSignal;
  /** Console-style output, shipped to rigd as the service's log (never blocks). */
  readonly log: FuncLogger;
}

/** Something a func returns to be run when its service stops. */
export type FuncCleanup = () => void | Promise<void>;

/**
 * A func service. It starts whatever the service is (for example an HTTP server on
 * `wiring.ingress().port`) and either returns (optionally a cleanup function run at stop)
 * or keeps running until `signal` aborts. A throw or rejection before the service is
 * stopped fails the environment with the error's message.
 */
export type FuncFn = (context: FuncContext) => void | FuncCleanup | Promise<void | FuncCleanup>;

/** A registered closure: a hook, or the start function of a func service. */
export type Handler =
  | { readonly kind: "hook"; readonly fn: HookFn }
  | { readonly kind: "start"; readonly fn: FuncFn };

/** Closures of one environment, by the name the spec refers to them with. */
export class HandlerRegistry {
  readonly #handlers = new Map<string, Handler>();

  /** Registers a closure under a name unique within the environment; returns the name. */
  register(name: string, handler: Handler): string {
    if (this.#handlers.has(name)) throw new Error(`rig: handler "${name}" registered twice`);
    this.#handlers.set(name, handler);
    return name;
  }

  /** The closure registered under a name, if any. */
  get(name: string): Handler | undefined {
    return this.#handlers.get(name);
  }

  /** Names of every registered closure (for error messages). */
  names(): string[] {
    return [...this.#handlers.keys()];
  }
}
