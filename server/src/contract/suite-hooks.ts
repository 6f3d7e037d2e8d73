/**
 * The plugin interface of suite runs (handoff's hooks): told when a run starts, when a
 * test finishes an attempt, and when a run ends. A method that returns nothing runs
 * inline (sync); one that returns a promise runs in the background (async: a webhook
 * must not hold up the run), its failure logged. suites/ calls hooks; metrics/ and the
 * webhook plugin are hooks; rigd/ composes them.
 */
import type { Run, TestCase } from "../gen/rig/v1/suite_service_pb.js";

/** A plugin called through the lifecycle of suite runs. */
export interface SuiteHook {
  /** Names the hook in logs. */
  readonly name: string;
  /** A run began (status running). */
  runStarted?(run: Run): void | Promise<void>;
  /** A test finished one attempt; `test` carries that attempt only. */
  testFinished?(run: Run, test: TestCase): void | Promise<void>;
  /** A run ended; `run` carries its tests (without output). */
  runFinished?(run: Run): void | Promise<void>;
}
