/**
 * Glue between `rig.up(t, ...)` and the test runner whose context `t` is. node:test:
 * cleanup via `t.after`, failure from `t.passed` (set before after-hooks run), the log
 * path reported with `t.diagnostic`. vitest: `t.onTestFinished`, failure from
 * `t.onTestFailed` or the task's result state. Both are recognised by shape, so the SDK
 * depends on neither.
 */

/** The parts of a node:test or vitest test context the SDK uses. */
export interface TestContextLike {
  /** node:test: the test's title. */
  readonly name?: string;
  /** node:test: aborts when the test is cancelled or times out. */
  readonly signal?: AbortSignal;
  /** node:test: false once the test failed (read in after-hooks). */
  readonly passed?: boolean;
  /** node:test: registers an after-hook. */
  after?(fn: () => unknown): unknown;
  /** node:test: prints a diagnostic under the test. */
  diagnostic?(message: string): unknown;
  /** vitest: the running task. */
  readonly task?: { readonly name?: string; readonly result?: { readonly state?: string } };
  /** vitest: registers a hook run when the test finished, passed or failed. */
  onTestFinished?(fn: () => unknown): unknown;
  /** vitest: registers a hook run when the test failed. */
  onTestFailed?(fn: () => unknown): unknown;
}

/** Whether a value is a test context (rather than a services map). */
export function isTestContext(value: unknown): value is TestContextLike {
  if (value === null || typeof value !== "object") return false;
  const t = value as TestContextLike;
  return typeof t.after === "function" || typeof t.onTestFinished === "function";
}

/** The test's title, when the runner tells. */
export function testName(t: TestContextLike): string | undefined {
  return t.name ?? t.task?.name;
}

/** Runs `cleanup(failed)` when the test ends, passed or failed. */
export function onTestEnd(t: TestContextLike, cleanup: (failed: boolean) => Promise<void>): void {
  if (typeof t.after === "function") {
    t.after(() => cleanup(t.passed === false));
    return;
  }
  let failed = false;
  t.onTestFailed?.(() => {
    failed = true;
  });
  t.onTestFinished?.(() => cleanup(failed || t.task?.result?.state === "fail"));
}

/** Reports a line under the test, where the runner has a channel for it. */
export function diagnostic(t: TestContextLike, message: string): void {
  if (typeof t.diagnostic === "function") t.diagnostic(message);
}
