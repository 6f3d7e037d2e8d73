/**
 * Polls a readiness probe until it reports ready (SPEC §4). While the wait is young
 * (its first `youngForMs`, 1 s by default: the time a typical service takes to listen)
 * a retry follows every `intervalMs` (2 ms by default), so readiness is seen within a
 * few ms of the moment the service listens; after that each retry waits twice as long
 * as the last, up to `maxIntervalMs`, and the whole wait gives up after `timeoutMs` with
 * a ReadinessTimeoutError.
 *
 * Cancellation is the caller's signal, and only that: to stop waiting when something
 * else happens first (the service process exits, the environment is destroyed),
 * abort the signal with a reason that says so; the wait rejects with that reason:
 *
 *   const stop = new AbortController();
 *   void running.exited.then((s) => stop.abort(new Error(`exited with code ${s.code} before ready`)));
 *   await waitUntilReady(probe, { ...plan, signal: AbortSignal.any([ctx.signal, stop.signal]) });
 *
 * The options are structurally compatible with ReadinessPlan, so a plan can be
 * spread in directly. The wait leaves no timer or listener behind when it ends.
 */
import type { ReadinessProbe } from "../contract/service-type.js";
import { ReadinessTimeoutError } from "./readiness-timeout-error.js";

/** One finished probe attempt, as reported to `onAttempt`. */
export interface ReadinessAttempt {
  /** 1-based attempt number. */
  readonly attempt: number;
  readonly ready: boolean;
  readonly detail?: string;
  /** Time since the wait started. */
  readonly elapsedMs: number;
}

/** How to poll; every field is optional. */
export interface WaitUntilReadyOptions {
  /** Delay between retries while the wait is young (default 2 ms). */
  readonly intervalMs?: number;
  /** How long retries stay at `intervalMs` before they back off (default 1 s). */
  readonly youngForMs?: number;
  /** Upper bound of the doubling delay (default 1 s). */
  readonly maxIntervalMs?: number;
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Aborting rejects the wait promptly with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Called after every finished attempt (for logs or events). */
  readonly onAttempt?: (attempt: ReadinessAttempt) => void;
}

/** SPEC §4 defaults: poll every 2 ms for the first second, back off to 1 s, give up after 30 s. */
export const DEFAULT_INTERVAL_MS = 2;
/** See DEFAULT_INTERVAL_MS. */
export const DEFAULT_YOUNG_FOR_MS = 1_000;
/** See DEFAULT_INTERVAL_MS. */
export const DEFAULT_MAX_INTERVAL_MS = 1_000;
/** See DEFAULT_INTERVAL_MS. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Resolves once `probe` reports ready. Rejects with a ReadinessTimeoutError after
 * `timeoutMs`, with the signal's reason when aborted, or with whatever the probe
 * throws (a probe throws only when it can never succeed).
 */
export async function waitUntilReady(probe: ReadinessProbe, options: WaitUntilReadyOptions = {}): Promise<void> {
  const intervalMs = positiveOr(options.intervalMs, DEFAULT_INTERVAL_MS);
  const maxIntervalMs = Math.max(intervalMs, positiveOr(options.maxIntervalMs, DEFAULT_MAX_INTERVAL_MS));
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS);
  const youngForMs = options.youngForMs !== undefined && options.youngForMs >= 0 ? options.youngForMs : DEFAULT_YOUNG_FOR_MS;
  const { signal, onAttempt } = options;
  signal?.throwIfAborted();

  const startedAt = performance.now();
  const elapsed = (): number => performance.now() - startedAt;
  // One signal for probes and sleeps: aborts on the caller's signal or at the deadline.
  const wait = new AbortController();
  const deadlineReached = new Error("readiness deadline reached");
  // libuv timers run on a millisecond loop clock and can fire up to 1 ms early by
  // performance.now(); re-arm for the remainder so a timeout never reports less
  // waiting than it was given.
  let deadline: NodeJS.Timeout | undefined;
  const armDeadline = (): void => {
    const left = timeoutMs - elapsed();
    if (left <= 0) wait.abort(deadlineReached);
    else deadline = setTimeout(armDeadline, Math.ceil(left));
  };
  armDeadline();
  const onCallerAbort = (): void => wait.abort(signal?.reason);
  signal?.addEventListener("abort", onCallerAbort, { once: true });

  let attempts = 0;
  let lastDetail: string | undefined;
  let delay = intervalMs;
  try {
    for (;;) {
      attempts++;
      const result = await probe(wait.signal);
      // A probe may answer "not ready" instead of rejecting when its signal aborts.
      wait.signal.throwIfAborted();
      onAttempt?.({ attempt: attempts, ready: result.ready, detail: result.detail, elapsedMs: elapsed() });
      if (result.ready) return;
      lastDetail = result.detail ?? lastDetail;
      if (elapsed() >= timeoutMs) throw new ReadinessTimeoutError(elapsed(), attempts, lastDetail);
      const young = elapsed() < youngForMs;
      await sleep(Math.min(young ? intervalMs : delay, Math.max(0, timeoutMs - elapsed())), wait.signal);
      if (!young) delay = Math.min(delay * 2, maxIntervalMs);
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (wait.signal.aborted && wait.signal.reason === deadlineReached) {
      throw new ReadinessTimeoutError(elapsed(), attempts, lastDetail);
    }
    throw err;
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onCallerAbort);
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal.throwIfAborted();
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
