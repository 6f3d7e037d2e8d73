/**
 * When to probe again (SPEC §4), as a pure function of how long the wait has run.
 *
 * The delay is a twentieth of the wait's age, so a service is seen at most 5% of its
 * start-up time after it gets ready (a 60 ms start is seen within 3 ms), bounded below
 * by `intervalMs` (2 ms: the first probes come every 2 ms) and above by `youngCapMs`
 * (20 ms) while the wait is young (its first `youngForMs`, 3 s: the time most services
 * take to listen), then by `maxIntervalMs` (1 s), so a slow service costs one probe a
 * second. In numbers: 2 ms until 40 ms of age, 20 ms from 400 ms to 3 s, then 150 ms
 * growing to 1 s at 20 s. About 200 probes in the first 3 s, 40 more until 20 s.
 *
 * Probing at that rate costs a refused dial per probe; a line of output from the
 * service is a better hint than any schedule, so the wait also probes right away when
 * nudged (see `WaitUntilReadyOptions.nudges`); nudged probes come at most every `intervalMs`.
 */

/** The shape of a schedule; every field in ms. */
export interface PollSchedule {
  /** Shortest delay between probes, and the first ones (default 2 ms; a spec's `ready.interval`). */
  readonly intervalMs: number;
  /** Longest delay while the wait is young (default 20 ms). */
  readonly youngCapMs: number;
  /** How long a wait is young (default 3 s). */
  readonly youngForMs: number;
  /** Longest delay once the wait is old (default 1 s; a spec's `ready.max_interval`). */
  readonly maxIntervalMs: number;
}

/** The defaults of SPEC §4. */
export const DEFAULT_SCHEDULE: PollSchedule = { intervalMs: 2, youngCapMs: 20, youngForMs: 3_000, maxIntervalMs: 1_000 };

/** The delay is this fraction of the wait's age (so readiness is seen at most 5% late). */
const AGE_FRACTION = 1 / 20;

/** The delay before the next probe of a wait that has run `ageMs`. */
export function nextProbeDelayMs(ageMs: number, schedule: PollSchedule = DEFAULT_SCHEDULE): number {
  const { intervalMs, youngCapMs, youngForMs, maxIntervalMs } = schedule;
  const cap = ageMs < youngForMs ? Math.min(youngCapMs, maxIntervalMs) : maxIntervalMs;
  return Math.max(intervalMs, Math.min(cap, ageMs * AGE_FRACTION));
}

/**
 * A schedule from optional overrides; values that are not positive numbers fall back to
 * the defaults, and the caps are never below `intervalMs`.
 */
export function pollSchedule(overrides: Partial<PollSchedule> = {}): PollSchedule {
  const pick = (value: number | undefined, fallback: number): number =>
    value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
  const intervalMs = pick(overrides.intervalMs, DEFAULT_SCHEDULE.intervalMs);
  const maxIntervalMs = Math.max(intervalMs, pick(overrides.maxIntervalMs, DEFAULT_SCHEDULE.maxIntervalMs));
  return {
    intervalMs,
    maxIntervalMs,
    youngCapMs: Math.max(intervalMs, pick(overrides.youngCapMs, DEFAULT_SCHEDULE.youngCapMs)),
    youngForMs: overrides.youngForMs !== undefined && overrides.youngForMs >= 0 ? overrides.youngForMs : DEFAULT_SCHEDULE.youngForMs,
  };
}
