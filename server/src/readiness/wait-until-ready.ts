/**
 * Polls a readiness probe until it reports ready (SPEC §4), on the schedule of
 * `poll-schedule.ts`: every 2 ms at first, then a twentieth of the wait's age, capped at
 * 20 ms for the first 3 s and at 1 s after; the whole wait gives up after `timeoutMs`
 * with a ReadinessTimeoutError. A nudge (a line of output from the service, say) makes
 * the next probe come at once, but never sooner than `intervalMs` after the last probe
 * a nudge brought on: a service usually prints as it starts to listen, and waiting out
 * the spacing from a scheduled probe cost ~1 ms of every start; a chatty service still
 * brings on at most one extra probe per `intervalMs`.
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
import { NudgeablePause } from "./nudgeable-pause.js";
import { nextProbeDelayMs, pollSchedule } from "./poll-schedule.js";
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

/** Subscribes a listener to hints that the service may be ready now; returns the unsubscribe. */
export type Nudges = (listener: () => void) => () => void;

/** How to poll (see PollSchedule); every field is optional. */
export interface WaitUntilReadyOptions {
  /** Shortest delay between probes, and the first ones (default 2 ms). */
  readonly intervalMs?: number;
  /** Longest delay while the wait is young (default 20 ms). */
  readonly youngCapMs?: number;
  /** How long the wait is young (default 3 s). */
  readonly youngForMs?: number;
  /** Longest delay once the wait is old (default 1 s). */
  readonly maxIntervalMs?: number;
  /** Give up after this long (default 30 s). */
  readonly timeoutMs?: number;
  /** Aborting rejects the wait promptly with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Hints to probe at once (no sooner than `intervalMs` after the last nudged probe). */
  readonly nudges?: Nudges;
  /** Called after every finished attempt (for logs or events). */
  readonly onAttempt?: (attempt: ReadinessAttempt) => void;
}

/** SPEC §4: give up after 30 s by default. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Resolves once `probe` reports ready. Rejects with a ReadinessTimeoutError after
 * `timeoutMs`, with the signal's reason when aborted, or with whatever the probe
 * throws (a probe throws only when it can never succeed).
 */
export async function waitUntilReady(probe: ReadinessProbe, options: WaitUntilReadyOptions = {}): Promise<void> {
  const schedule = pollSchedule(options);
  const timeoutMs = positiveOr(options.timeoutMs, DEFAULT_TIMEOUT_MS);
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
  const pause = new NudgeablePause(wait.signal);
  const unsubscribe = options.nudges?.(() => pause.nudge());

  let attempts = 0;
  let lastDetail: string | undefined;
  /** When the last probe a nudge brought on started (-Infinity: none yet). */
  let lastNudgedAt = Number.NEGATIVE_INFINITY;
  let nudged = false;
  try {
    for (;;) {
      attempts++;
      const probeStarted = elapsed();
      if (nudged) lastNudgedAt = probeStarted;
      const result = await probe(wait.signal);
      // A probe may answer "not ready" instead of rejecting when its signal aborts.
      wait.signal.throwIfAborted();
      onAttempt?.({ attempt: attempts, ready: result.ready, detail: result.detail, elapsedMs: elapsed() });
      if (result.ready) return;
      lastDetail = result.detail ?? lastDetail;
      if (elapsed() >= timeoutMs) throw new ReadinessTimeoutError(elapsed(), attempts, lastDetail);
      // On schedule: never sooner than intervalMs after this probe started. Nudged: never
      // sooner than intervalMs after the last nudged one.
      const now = elapsed();
      const planned = Math.max(probeStarted + schedule.intervalMs - now, nextProbeDelayMs(now, schedule));
      const soonest = Math.max(0, lastNudgedAt + schedule.intervalMs - now);
      const left = Math.max(0, timeoutMs - now);
      nudged = await pause.for(Math.min(planned, left), Math.min(soonest, left));
    }
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    if (wait.signal.aborted && wait.signal.reason === deadlineReached) {
      throw new ReadinessTimeoutError(elapsed(), attempts, lastDetail);
    }
    throw err;
  } finally {
    clearTimeout(deadline);
    unsubscribe?.();
    signal?.removeEventListener("abort", onCallerAbort);
  }
}

function positiveOr(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
