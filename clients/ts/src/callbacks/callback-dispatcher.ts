/**
 * The client side of the callback protocol (SPEC §8) for one environment: runs the
 * closure a callback.request names with the service's wiring and answers with
 * PostEvent(callback_response). Hooks are answered when they finish; func services are
 * answered at once and then run until their service stops, their output shipped as
 * service_logs and a later crash reported as service_error.
 */
import type { CallbackRequest, Event } from "../gen/rig/v1/event_pb.js";
import { CallbackKind, LogStream } from "../gen/rig/v1/event_pb.js";
import type { RigApi } from "../api/rig-api.js";
import { Wiring } from "../environment/wiring.js";
import type { FuncCleanup, FuncFn, HandlerRegistry } from "./handlers.js";
import { createFuncLogger } from "./func-logger.js";
import { LogShipper } from "./log-shipper.js";

/** How long a stopping func may take to settle after its signal aborts (like a process's stop grace). */
const STOP_WAIT_MS = 5_000;
/** How long teardown waits for hooks still running when their signal aborted. */
const HOOK_WAIT_MS = 1_000;

/** A hook closure still running in this process. */
export interface HookInFlight {
  readonly service: string;
  /** Handler name, e.g. `api.prestart.0`. */
  readonly name: string;
  readonly startedAt: number;
  /** How long it had run when the environment went down. */
  readonly runningMs?: number;
}

/** A func service while it runs. */
interface RunningFunc {
  readonly abort: AbortController;
  readonly shipper: LogShipper;
  /** Settles when the func's promise settles and its failure (if any) is reported. */
  readonly settled: Promise<void>;
  cleanup?: FuncCleanup;
  stopping?: Promise<void>;
}

/** Answers the callback requests of one environment; owns the funcs it starts. */
export class CallbackDispatcher {
  readonly #seen = new Set<string>();
  readonly #funcs = new Map<string, RunningFunc>();
  readonly #pending = new Set<Promise<void>>();
  readonly #hooks = new Map<string, HookInFlight>();
  /** Hooks that were still running when the environment went down. */
  #hooksAtDown: HookInFlight[] | undefined;
  readonly #down = new AbortController();

  constructor(
    private readonly api: RigApi,
    private readonly environmentId: string,
    private readonly registry: HandlerRegistry,
  ) {}

  /** Feeds one event of the environment; never throws. */
  handle(event: Event): void {
    switch (event.payload.case) {
      case "callbackRequest":
        this.#track(this.#answer(event.payload.value));
        break;
      case "serviceStopping":
        this.#track(this.#stopFunc(event.service));
        break;
      case "environmentDown":
        this.environmentGone();
        break;
    }
  }

  /** The environment is down (or unreachable): abort running hooks and stop every func. */
  environmentGone(): void {
    this.#hooksAtDown ??= [...this.#hooks.values()].map((h) => ({ ...h, runningMs: Date.now() - h.startedAt }));
    this.#down.abort();
    for (const name of this.#funcs.keys()) this.#track(this.#stopFunc(name));
  }

  /**
   * Hook closures still running, or that were running when the environment went down
   * (to tell a slow hook from a vanished client).
   */
  hooksInFlight(): HookInFlight[] {
    return this.#hooksAtDown ?? [...this.#hooks.values()];
  }

  /**
   * Stops every func (running its cleanup, flushing its output) and waits briefly for
   * running hooks: a closure that ignores its signal is left behind, not waited for.
   */
  async close(): Promise<void> {
    this.#down.abort();
    await Promise.all([...this.#funcs.keys()].map((name) => this.#stopFunc(name)));
    const drain = async (): Promise<void> => {
      while (this.#pending.size > 0) await Promise.all(this.#pending);
    };
    await settledWithin(drain(), HOOK_WAIT_MS);
  }

  #track(work: Promise<void>): void {
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  async #answer(request: CallbackRequest): Promise<void> {
    if (this.#seen.has(request.requestId)) return;
    this.#seen.add(request.requestId);
    const handler = this.registry.get(request.name);
    const wanted = request.kind === CallbackKind.START ? "start" : "hook";
    if (!handler || handler.kind !== wanted) {
      const known = this.registry.names();
      await this.#respond(
        request.requestId,
        `no ${wanted} closure named "${request.name}" in this test process (it has ${known.length ? known.join(", ") : "none"})`,
      );
      return;
    }
    const wiring = new Wiring(request.service, request.wiring);
    if (handler.kind === "start") {
      await this.#startFunc(request, handler.fn, wiring);
      return;
    }
    let error = "";
    this.#hooks.set(request.requestId, { service: request.service, name: request.name, startedAt: Date.now() });
    try {
      await handler.fn({
        service: request.service,
        phase: request.phase === "init" ? "init" : "prestart",
        wiring,
        signal: this.#down.signal,
      });
    } catch (err) {
      error = messageOf(err) || `${request.phase || "hook"} closure of "${request.service}" failed`;
    } finally {
      this.#hooks.delete(request.requestId);
    }
    await this.#respond(request.requestId, error);
  }

  async #startFunc(request: CallbackRequest, fn: FuncFn, wiring: Wiring): Promise<void> {
    const service = request.service;
    const shipper = new LogShipper((lines) =>
      this.api.environments.postEvent({
        environmentId: this.environmentId,
        service,
        event: { case: "serviceLogs", value: { lines: lines.map((l) => ({ stream: l.stream, line: l.line })) } },
      }),
    );
    const abort = new AbortController();
    const log = createFuncLogger(shipper);
    let result: ReturnType<FuncFn>;
    try {
      result = fn({ service, wiring, signal: AbortSignal.any([abort.signal, this.#down.signal]), log });
    } catch (err) {
      // Thrown before returning: the start itself failed, say so in the answer.
      log.error(err);
      await shipper.close();
      await this.#respond(request.requestId, messageOf(err) || `func "${service}" failed to start`);
      return;
    }
    const running: RunningFunc = {
      abort,
      shipper,
      settled: Promise.resolve(result).then(
        (cleanup) => {
          if (typeof cleanup === "function") running.cleanup = cleanup;
        },
        async (err: unknown) => {
          if (abort.signal.aborted || this.#down.signal.aborted) return; // stopping: an abort rejection is expected
          log.error(err);
          await shipper.flush();
          await this.api.environments
            .postEvent({
              environmentId: this.environmentId,
              service,
              event: { case: "serviceError", value: { error: messageOf(err) || `func "${service}" failed` } },
            })
            .catch(() => {});
        },
      ),
    };
    this.#funcs.set(service, running);
    await this.#respond(request.requestId, "");
  }

  #stopFunc(service: string): Promise<void> {
    const running = this.#funcs.get(service);
    if (!running) return Promise.resolve();
    running.stopping ??= (async () => {
      running.abort.abort();
      // A func that keeps running until its signal aborts settles now; one that returned a
      // cleanup has already settled and gets it run.
      await settledWithin(running.settled, STOP_WAIT_MS);
      try {
        await running.cleanup?.();
      } catch (err) {
        running.shipper.write(LogStream.STDERR, `cleanup failed: ${messageOf(err)}\n`);
      }
      await running.shipper.close();
    })();
    return running.stopping;
  }

  async #respond(requestId: string, error: string): Promise<void> {
    // A late answer (after rigd timed the callback out or the environment went down) is
    // refused by rigd; nothing is waiting for it any more.
    await this.api.environments
      .postEvent({ environmentId: this.environmentId, event: { case: "callbackResponse", value: { requestId, error } } })
      .catch(() => {});
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err ?? "");
}

/**
 * Waits for `work`, at most `ms`. The timer is ref'd (someone is waiting on it, so the
 * process must not exit meanwhile) and cleared as soon as the work settles.
 */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([work.then(() => undefined, () => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
