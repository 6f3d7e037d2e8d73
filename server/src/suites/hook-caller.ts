/**
 * Calls the suite hooks (contract/suite-hooks.ts): a hook that returns nothing ran
 * inline; one that returns a promise runs on, its failure logged, and close() waits for
 * those still running so rigd does not exit under a webhook.
 */
import type { Logger } from "pino";
import type { SuiteHook } from "../contract/suite-hooks.js";

export class HookCaller {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly hooks: readonly SuiteHook[],
    private readonly log: Logger,
  ) {}

  /** Calls `method` of every hook that has it. */
  call<M extends "runStarted" | "testFinished" | "runFinished">(method: M, ...args: Parameters<NonNullable<SuiteHook[M]>>): void {
    for (const hook of this.hooks) {
      const fn = hook[method] as ((...a: typeof args) => void | Promise<void>) | undefined;
      if (!fn) continue;
      try {
        const result = fn.apply(hook, args);
        if (result instanceof Promise) {
          const tracked = result.catch((err: unknown) => this.log.warn({ err, hook: hook.name, method }, "suite hook failed"));
          this.#pending.add(tracked);
          void tracked.finally(() => this.#pending.delete(tracked));
        }
      } catch (err) {
        this.log.warn({ err, hook: hook.name, method }, "suite hook failed");
      }
    }
  }

  /** Waits for the async hooks still running. */
  async settle(): Promise<void> {
    await Promise.all([...this.#pending]);
  }
}
