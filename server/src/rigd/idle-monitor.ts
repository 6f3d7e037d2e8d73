/**
 * Decides when rigd has been idle long enough to exit: no live environment, no call in
 * flight, and no call started or ended, for the whole window (SPEC §10).
 */

/** What the monitor reads on every tick. */
export interface IdleProbe {
  /** True while something keeps rigd busy (live environments, calls in flight). */
  busy(): boolean;
  /** Epoch ms of the last call start or end. */
  lastActivity(): number;
}

/** Calls `onIdle` once after `idleMs` of quiet; stop() cancels. */
export class IdleMonitor {
  readonly #timer: NodeJS.Timeout;
  #quietSince = Date.now();

  /** Starts watching; idleMs must be > 0. */
  constructor(
    readonly idleMs: number,
    probe: IdleProbe,
    onIdle: () => void,
  ) {
    // Ticks are a fraction of the window so the exit comes at most ~10% late.
    const tickMs = Math.min(5000, Math.max(50, Math.floor(idleMs / 10)));
    this.#timer = setInterval(() => {
      const now = Date.now();
      if (probe.busy()) {
        this.#quietSince = now;
        return;
      }
      const since = Math.max(this.#quietSince, probe.lastActivity());
      if (now - since >= idleMs) {
        this.stop();
        onIdle();
      }
    }, tickMs);
    // The listening server keeps the process alive, not this timer.
    this.#timer.unref();
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
