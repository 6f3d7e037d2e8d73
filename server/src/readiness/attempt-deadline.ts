/**
 * A per-attempt deadline for one readiness probe: the attempt gets its own signal
 * that aborts when the caller's signal aborts or when the attempt takes too long.
 * The timer and the listener on the caller's signal are removed when the attempt
 * settles, so a finished probe leaves nothing running.
 */

/** Default time one probe attempt may take before it counts as "not ready". */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 1_000;

/** Why an attempt's signal aborted when the caller did not abort it. */
export class AttemptTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs}ms`);
    this.name = "AttemptTimeoutError";
  }
}

/**
 * Runs `attempt` with a signal bounded by `parent` and `timeoutMs`.
 * Rejects with the parent's reason when the parent is (or becomes) aborted;
 * whatever `attempt` returns or throws otherwise passes through.
 */
export async function withAttemptDeadline<T>(
  parent: AbortSignal,
  timeoutMs: number,
  attempt: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  parent.throwIfAborted();
  const controller = new AbortController();
  const onParentAbort = (): void => controller.abort(parent.reason);
  parent.addEventListener("abort", onParentAbort, { once: true });
  const timer = setTimeout(() => controller.abort(new AttemptTimeoutError(timeoutMs)), timeoutMs);
  try {
    const result = await attempt(controller.signal);
    // A probe may report "not ready" when its signal aborts; if the caller aborted, say so instead.
    parent.throwIfAborted();
    return result;
  } catch (err) {
    // Whatever the attempt threw while the caller was aborting, the caller's reason wins.
    parent.throwIfAborted();
    throw err;
  } finally {
    clearTimeout(timer);
    parent.removeEventListener("abort", onParentAbort);
  }
}

/** A short, human description of why a socket-level attempt failed. */
export function describeFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof AttemptTimeoutError) {
    return signal.reason.message;
  }
  if (err instanceof Error) return err.message;
  return err === undefined ? "aborted" : String(err);
}
