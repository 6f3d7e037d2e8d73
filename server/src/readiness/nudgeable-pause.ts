/**
 * The sleep between readiness probes that a hint can cut short: `for(ms, soonestMs)`
 * resolves after `ms` (with false), or `soonestMs` after it began once nudged (with
 * true; a nudge while no sleep runs, i.e. during a probe, shortens the next sleep), and
 * rejects with the signal's reason as soon as it aborts. Leaves no timer or listener
 * behind.
 */
export class NudgeablePause {
  private nudged = false;
  private wake: (() => void) | undefined;

  constructor(private readonly signal: AbortSignal) {}

  /** A hint that the service may be ready now. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  for(ms: number, soonestMs: number): Promise<boolean> {
    const { signal } = this;
    return new Promise((resolve, reject) => {
      signal.throwIfAborted();
      const began = performance.now();
      let cancel = (): void => {};
      const done = (): void => {
        cancel();
        this.wake = undefined;
        const nudged = this.nudged;
        this.nudged = false;
        signal.removeEventListener("abort", onAbort);
        resolve(nudged);
      };
      const onAbort = (): void => {
        cancel();
        this.wake = undefined;
        reject(signal.reason);
      };
      // A timer waits at least 1 ms; a wake that is already due goes on in the next turn.
      const arm = (delay: number): void => {
        cancel();
        if (delay > 0) {
          const timer = setTimeout(done, delay);
          cancel = () => clearTimeout(timer);
        } else {
          const immediate = setImmediate(done);
          cancel = () => clearImmediate(immediate);
        }
      };
      this.wake = () => {
        this.wake = undefined; // later nudges of this sleep change nothing
        arm(soonestMs - (performance.now() - began));
      };
      arm(this.nudged ? soonestMs : ms);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }
}
