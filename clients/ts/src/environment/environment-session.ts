/**
 * The live connection between the test process and one environment in rigd: it follows
 * the event stream (keeping the environment alive), feeds callbacks to the dispatcher,
 * and remembers what startup needs to know (up, down, the latest stall report).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { DestroyEnvironmentResponse } from "../gen/rig/v1/environment_service_pb.js";
import type { EnvironmentDown, EnvironmentUp, Event, ProgressStall } from "../gen/rig/v1/event_pb.js";
import type { RigApi } from "../api/rig-api.js";
import type { HandlerRegistry } from "../callbacks/handlers.js";
import type { HookInFlight } from "../callbacks/callback-dispatcher.js";
import { CallbackDispatcher } from "../callbacks/callback-dispatcher.js";
import { fromRpcError } from "../errors.js";
import { EventWatcher } from "./event-watcher.js";
import { tearDownOnSignal } from "./signal-teardown.js";
import type { UpProgress } from "./up-progress.js";

/** How startup ended. */
export type StartupOutcome =
  | { readonly kind: "up"; readonly up: EnvironmentUp }
  | { readonly kind: "down"; readonly down: EnvironmentDown }
  | { readonly kind: "lost"; readonly error: Error }
  | { readonly kind: "timeout"; readonly stall: string | undefined }
  | { readonly kind: "aborted"; readonly reason: unknown };

/** What a destroy request says. */
export interface DestroyRequest {
  readonly testFailed: boolean;
  readonly preserve: boolean;
  readonly reason: string;
}

/** Owns the watcher and the dispatcher of one environment. */
export class EnvironmentSession {
  readonly #dispatcher: CallbackDispatcher;
  readonly #watcher: EventWatcher;
  readonly #settle = new Set<(outcome: StartupOutcome) => void>();
  readonly #untrack: () => void;
  #up: EnvironmentUp | undefined;
  #down: EnvironmentDown | undefined;
  #lost: Error | undefined;
  #stall: string | undefined;

  constructor(
    readonly api: RigApi,
    readonly id: string,
    readonly name: string,
    registry: HandlerRegistry,
    readonly progress?: UpProgress,
  ) {
    this.#dispatcher = new CallbackDispatcher(api, id, registry);
    this.#watcher = new EventWatcher(api, id, {
      onEvent: (event) => this.#onEvent(event),
      onLost: (error) => {
        this.#lost = error;
        // Said at once, not at teardown: a test still running against this environment is
        // talking to services that stop with their rigd (its watchdog kills them).
        if (this.#up && !this.#down && !process.env["RIG_QUIET"]) {
          process.stderr.write(
            `rig: lost rigd while environment ${this.name} (${this.id}) was up: ${error.message}; ` +
              "its services are stopped with rigd, so this test's environment is gone\n",
          );
        }
        this.#dispatcher.environmentGone();
        this.#notify({ kind: "lost", error });
      },
    });
    // From creation on (a test interrupted while starting too), Ctrl-C or SIGTERM of the
    // test process tears the environment down rather than leaving it to the orphan grace.
    this.#untrack = tearDownOnSignal((reason) => this.destroy({ testFailed: false, preserve: false, reason }));
  }

  /** Hook closures of this environment still running in this process. */
  hooksInFlight(): HookInFlight[] {
    return this.#dispatcher.hooksInFlight();
  }

  /** The environment.down event, once the environment is down. */
  get down(): EnvironmentDown | undefined {
    return this.#down;
  }

  /**
   * Waits for environment.up, environment.down, a lost stream, the timeout or the signal,
   * whichever comes first. The timeout timer is what keeps the process alive meanwhile.
   */
  waitUntilUp(timeoutMs: number, signal?: AbortSignal): Promise<StartupOutcome> {
    const now = this.#current();
    if (now) return Promise.resolve(now);
    return new Promise((resolve) => {
      const finish = (outcome: StartupOutcome): void => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#settle.delete(finish);
        resolve(outcome);
      };
      const onAbort = (): void => finish({ kind: "aborted", reason: signal?.reason });
      const timer = setTimeout(() => finish({ kind: "timeout", stall: this.#stall }), timeoutMs);
      this.#settle.add(finish);
      if (signal?.aborted) onAbort();
      else signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Asks rigd to tear the environment down; resolves with the dirs and log paths, or
   * undefined when rigd no longer knows the environment (it was reaped already).
   */
  async destroy(request: DestroyRequest): Promise<DestroyEnvironmentResponse | undefined> {
    try {
      return await this.api.environments.destroyEnvironment({ environmentId: this.id, ...request });
    } catch (err) {
      if (err instanceof ConnectError && err.code === Code.NotFound) return undefined;
      throw fromRpcError(err, "DestroyEnvironment");
    }
  }

  /**
   * What `rig explain` says of this environment (plain text), for failure messages; undefined
   * when rigd cannot tell (gone, or older than ExplainEnvironment).
   */
  async explain(): Promise<string | undefined> {
    try {
      const { text } = await this.api.environments.explainEnvironment({ environmentId: this.id }, { timeoutMs: 5_000 });
      return text || undefined;
    } catch {
      return undefined;
    }
  }

  /** Stops following the environment: funcs stopped, output flushed, stream closed. */
  async close(): Promise<void> {
    this.#untrack();
    await this.#dispatcher.close();
    await this.#watcher.close();
  }

  #onEvent(event: Event): void {
    this.#dispatcher.handle(event);
    this.progress?.observe(event);
    switch (event.payload.case) {
      case "progressStall":
        this.#stall = formatStall(event.payload.value);
        break;
      case "environmentUp":
        this.#up = event.payload.value;
        this.#notify({ kind: "up", up: this.#up });
        break;
      case "environmentDown":
        this.#down = event.payload.value;
        this.#notify({ kind: "down", down: this.#down });
        break;
    }
  }

  #current(): StartupOutcome | undefined {
    if (this.#up) return { kind: "up", up: this.#up };
    if (this.#down) return { kind: "down", down: this.#down };
    if (this.#lost) return { kind: "lost", error: this.#lost };
    return undefined;
  }

  #notify(outcome: StartupOutcome): void {
    this.progress?.stop();
    for (const settle of [...this.#settle]) settle(outcome);
  }
}

/** The stall message plus the last output lines of each service it lists. */
function formatStall(stall: ProgressStall): string {
  const lines = [stall.message];
  for (const service of stall.services) {
    if (service.lastLogLines.length === 0) continue;
    lines.push(`last output of ${service.service}:`);
    for (const line of service.lastLogLines.slice(-5)) lines.push(`  | ${line}`);
  }
  return lines.join("\n");
}
