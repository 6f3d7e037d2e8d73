/**
 * The clocks of one environment (SPEC §4): its TTL, the orphan grace that runs while
 * no client watches, and the stall report that fires when nothing happened for a while
 * during start. Each calls back into the run; none knows what a run is.
 */

/** What the timers call when they fire. */
export interface TimerActions {
  /** The TTL passed. */
  ttlExpired(): void;
  /** Nobody watched for the whole grace period. */
  orphaned(): void;
  /** No lifecycle progress for the stall timeout; returns whether to keep watching for stalls. */
  stalled(): boolean;
}

/** Durations of one environment's timers. */
export interface TimerDurations {
  readonly ttlMs: number | undefined;
  readonly orphanGraceMs: number;
  readonly stallTimeoutMs: number;
}

export class EnvironmentTimers {
  private ttl: NodeJS.Timeout | undefined;
  private orphan: NodeJS.Timeout | undefined;
  private stall: NodeJS.Timeout | undefined;
  private watching = 0;
  /** Once set (the environment is finalized), the orphan timer never runs again. */
  private finished = false;

  constructor(
    private readonly durations: TimerDurations,
    private readonly actions: TimerActions,
  ) {}

  /** Clients watching right now. */
  get watchers(): number {
    return this.watching;
  }

  /** Starts the TTL (when set) and the orphan grace: nobody watches a new environment yet. */
  start(): void {
    if (this.durations.ttlMs !== undefined) this.ttl = setTimeout(() => this.actions.ttlExpired(), this.durations.ttlMs);
    this.armOrphan();
  }

  /** A client started watching: the orphan grace stops. */
  watchStarted(): void {
    this.watching++;
    clearTimeout(this.orphan);
  }

  /** A client stopped watching: with nobody left, the orphan grace starts again. */
  watchEnded(): void {
    this.watching--;
    this.armOrphan();
  }

  /** (Re)starts the orphan grace when nobody watches and the environment is not finished. */
  armOrphan(): void {
    clearTimeout(this.orphan);
    if (this.watching > 0 || this.finished) return;
    this.orphan = setTimeout(() => {
      if (this.watching === 0) this.actions.orphaned();
    }, this.durations.orphanGraceMs);
  }

  /** Lifecycle progress while starting: the stall report waits a full timeout again. */
  progressed(): void {
    clearTimeout(this.stall);
    this.stall = setTimeout(() => {
      if (this.actions.stalled()) this.progressed();
    }, this.durations.stallTimeoutMs);
  }

  /** Start is over (up or going down): no more stall reports, no TTL. */
  startOver(): void {
    clearTimeout(this.stall);
    this.stall = undefined;
  }

  /** Teardown began: the TTL and stall report are moot. */
  tearingDown(): void {
    this.startOver();
    clearTimeout(this.ttl);
  }

  /** The environment is finalized: every timer stops for good. */
  finish(): void {
    this.finished = true;
    this.tearingDown();
    clearTimeout(this.orphan);
  }
}
