/**
 * `rig.up`: build the spec, make sure rigd runs, create the environment, follow it
 * until every service is ready, and hand back the started environment. When startup
 * fails the environment is torn down and the error explains what happened.
 */
import type { DurationInput } from "../builders/duration.js";
import { toMs } from "../builders/duration.js";
import { HandlerRegistry } from "../callbacks/handlers.js";
import { connectRigd } from "../daemon/auto-start.js";
import { RigEnvironmentError, RigError, RigStartupTimeoutError, downDetails, fromRpcError } from "../errors.js";
import type { Services, SpecOptions } from "../spec/build-spec.js";
import { buildSpec } from "../spec/build-spec.js";
import type { TestContextLike } from "../test-runner/test-context.js";
import { diagnostic, isTestContext, onTestEnd, testName } from "../test-runner/test-context.js";
import { EnvironmentSession } from "./environment-session.js";
import { UpProgress } from "./up-progress.js";
import { preservePolicy } from "./preserve-policy.js";
import type { StartedEnvironment } from "./started-environment.js";
import { RunningEnvironment } from "./started-environment.js";

/** Options of `rig.up`. */
export interface UpOptions extends SpecOptions {
  /** How long to wait for every service to be ready. Default 2 min. */
  readonly startupTimeout?: DurationInput;
  /** rigd address (`127.0.0.1:PORT` or `unix:/path`); no auto-start. Default RIG_SERVER, else auto-start. */
  readonly server?: string;
  /** The token of `server`. Default RIG_TOKEN, else the token file beside RIG_DIR's addr file. */
  readonly token?: string;
  /** Keep the dirs at teardown: always, never or "on-failure". Default from RIG_PRESERVE / RIG_PRESERVE_ON_FAILURE. */
  readonly preserve?: boolean | "on-failure";
  /** Abandons startup (the environment is destroyed). */
  readonly signal?: AbortSignal;
}

/** The started environment of a services map: endpoints are looked up by its service names. */
export type EnvironmentOf<S extends Services> = StartedEnvironment<Extract<keyof S, string>>;

/**
 * Brings an environment up and resolves once every service is ready.
 * With a test context first (`rig.up(t, services)`), teardown is registered on the test
 * (node:test `t.after`, vitest `onTestFinished`) and records whether the test failed.
 */
export function up<S extends Services>(services: S, options?: UpOptions): Promise<EnvironmentOf<S>>;
export function up<S extends Services>(t: TestContextLike, services: S, options?: UpOptions): Promise<EnvironmentOf<S>>;
export function up<S extends Services>(
  first: S | TestContextLike,
  second?: S | UpOptions,
  third?: UpOptions,
): Promise<EnvironmentOf<S>> {
  if (!isTestContext(first)) return start(first as S, (second ?? {}) as UpOptions);
  const t = first;
  const options = third ?? {};
  // Cleanup is registered before startup so a test that times out mid-startup still
  // abandons (and destroys) its environment.
  const abandon = new AbortController();
  const signals = [abandon.signal, t.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
  const started = start(second as S, { ...options, name: options.name ?? testName(t), testName: testName(t), signal: AbortSignal.any(signals) });
  onTestEnd(t, async ({ failed, notes }) => {
    abandon.abort(new RigError("rig: the test ended before the environment was up"));
    const env = await started.catch(() => undefined);
    if (!env) return;
    // The runner's failures (vitest) go to the log before teardown, as env.check's do.
    for (const note of notes) await env.note(note.message, "error").catch(() => {});
    const stopped = await env.down({ testFailed: failed });
    if (failed && stopped.logPath) diagnostic(t, `rig: log of environment ${stopped.id}: ${stopped.logPath}`);
    if (failed && stopped.diagnosis) diagnostic(t, `rig explain:\n${stopped.diagnosis}`);
  });
  return started;
}

async function start<S extends Services>(services: S, options: UpOptions): Promise<EnvironmentOf<S>> {
  const timeoutMs = toMs(options.startupTimeout ?? 120_000, "startupTimeout");
  const registry = new HandlerRegistry();
  const spec = buildSpec(services, options, registry);
  options.signal?.throwIfAborted();
  // Past 2 s, stderr says what startup waits for (quiet with RIG_QUIET).
  const progress = new UpProgress(spec.name);
  let created, session, outcome;
  try {
    const api = await connectRigd({ server: options.server, token: options.token });
    try {
      created = await api.environments.createEnvironment({ spec }, { signal: options.signal });
    } catch (err) {
      options.signal?.throwIfAborted();
      throw fromRpcError(err, "CreateEnvironment");
    }
    session = new EnvironmentSession(api, created.environmentId, spec.name, registry, progress);
    outcome = await session.waitUntilUp(timeoutMs, options.signal);
  } finally {
    progress.stop();
  }
  const preserve = preservePolicy(options.preserve);
  if (outcome.kind === "up") {
    const names = Object.keys(services) as Array<Extract<keyof S, string>>;
    return new RunningEnvironment(session, outcome.up, created.envDir, names, preserve);
  }
  // Read before close(): a hook of the failed service still running here means rigd gave
  // up on a slow closure, not on a client that went away.
  const failedService = outcome.kind === "down" ? outcome.down.failedService : undefined;
  const slowHooks = session
    .hooksInFlight()
    .filter((h) => h.service === failedService)
    .map(
      (h) =>
        `closure "${h.name}" was still running in this test process after ${((h.runningMs ?? Date.now() - h.startedAt) / 1000).toFixed(1)}s ` +
        "(if rigd timed it out: make it finish sooner or raise the callbackTimeout option)",
    );
  const reason =
    outcome.kind === "timeout" ? "startup timed out" : outcome.kind === "aborted" ? "startup abandoned" : "startup failed";
  const destroyed = await session.destroy({ testFailed: false, preserve: preserve(true), reason }).catch(() => undefined);
  // The failure explains itself: the message ends with what `rig explain` says of the run.
  const diagnosis = outcome.kind === "down" || outcome.kind === "timeout" ? await session.explain() : undefined;
  await session.close();
  switch (outcome.kind) {
    case "down":
      throw new RigEnvironmentError({
        ...downDetails(session.id, session.name, outcome.down, destroyed?.logPath),
        hints: slowHooks,
        diagnosis,
      });
    case "timeout":
      throw new RigStartupTimeoutError(session.id, timeoutMs, outcome.stall, destroyed?.logPath, diagnosis);
    case "lost":
      throw outcome.error;
    case "aborted":
      throw outcome.reason instanceof Error ? outcome.reason : new RigError("rig: startup abandoned");
  }
}
