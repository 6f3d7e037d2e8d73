/**
 * Glue between `rig.up(t, ...)` and the test runner whose context `t` is. node:test:
 * cleanup via `t.after`, failure from `t.passed` (set before after-hooks run), the log
 * path reported with `t.diagnostic`. vitest: `t.onTestFinished`, failure and its errors
 * from the task's result (vitest runs onTestFinished before onTestFailed, with the
 * result already set), the log path printed on stderr. Both are recognised by shape, so
 * the SDK depends on neither; vitest 3's context is a function, node:test's an object.
 */
import type { FailureNote } from "./failure-note.js";
import { failureNote } from "./failure-note.js";

/** The parts of a node:test or vitest test context the SDK uses. */
export interface TestContextLike {
  /** node:test: the test's title. */
  readonly name?: string;
  /** node:test (and vitest >= 3): aborts when the test is cancelled or times out. */
  readonly signal?: AbortSignal;
  /** node:test: false once the test failed (read in after-hooks). */
  readonly passed?: boolean;
  /** node:test: registers an after-hook. */
  after?(fn: () => unknown): unknown;
  /** node:test: prints a diagnostic under the test. */
  diagnostic?(message: string): unknown;
  /** vitest: the running task. */
  readonly task?: {
    readonly name?: string;
    readonly result?: { readonly state?: string; readonly errors?: readonly unknown[] };
  };
  /** vitest: registers a hook run when the test finished, passed or failed. */
  onTestFinished?(fn: () => unknown): unknown;
  /** vitest: registers a hook run when the test failed. */
  onTestFailed?(fn: (...args: never[]) => unknown): unknown;
}

/** How a test ended, as far as the SDK needs to know. */
export interface TestOutcome {
  readonly failed: boolean;
  /** Notes for the failures the runner reported (vitest), each with file:line. */
  readonly notes: readonly FailureNote[];
}

/** Whether a value is a test context (rather than a services map). vitest 3's context is a function. */
export function isTestContext(value: unknown): value is TestContextLike {
  if (value === null || (typeof value !== "object" && typeof value !== "function")) return false;
  const t = value as TestContextLike;
  return typeof t.after === "function" || typeof t.onTestFinished === "function";
}

/** The test's title, when the runner tells. */
export function testName(t: TestContextLike): string | undefined {
  // A function's own `name` is its (empty or internal) function name, not the test's.
  if (typeof (t as unknown) === "function") return t.task?.name;
  return t.name ?? t.task?.name;
}

/** Runs `cleanup(outcome)` when the test ends, passed or failed. */
export function onTestEnd(t: TestContextLike, cleanup: (outcome: TestOutcome) => Promise<void>): void {
  if (typeof t.after === "function") {
    t.after(() => cleanup({ failed: t.passed === false, notes: [] }));
    return;
  }
  let failed = false;
  // Older vitest (< 3) ran onTestFailed first; 3.x runs onTestFinished first, with the
  // task's result (state and errors) already final.
  t.onTestFailed?.(() => {
    failed = true;
  });
  t.onTestFinished?.(() => {
    const result = t.task?.result;
    const notes = (result?.errors ?? []).map((error) => failureNote(error));
    return cleanup({ failed: failed || result?.state === "fail", notes });
  });
}

/** Reports a line under the test: node:test's diagnostic, else stderr. */
export function diagnostic(t: TestContextLike, message: string): void {
  if (typeof t.diagnostic === "function") t.diagnostic(message);
  else process.stderr.write(`${message}\n`);
}
