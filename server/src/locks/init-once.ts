/**
 * Init-once for one resource: the first declarer with an init runs it while the others
 * wait; success is remembered, and a failed or abandoned init is handed to the next
 * waiter. Pure state, driven by lock-service.ts.
 */

/** Where a resource's init stands. */
export type InitState = "none" | "running" | "done" | "failed";

/** What a declarer is told to do. */
export type InitTurn = "run" | "done";

/** The init of one resource. */
export class InitOnce {
  state: InitState = "none";
  /** Failed or abandoned tries so far. */
  attempts = 0;
  private readonly waiters: Array<(turn: InitTurn) => void> = [];

  /**
   * Resolves "done" once the init has succeeded, or "run" when it is this caller's turn
   * to run it (the caller must then call finish). Rejects when `signal` aborts first.
   */
  takeTurn(signal: AbortSignal): Promise<InitTurn> {
    if (this.state === "done") return Promise.resolve("done");
    if (this.state !== "running") {
      this.state = "running";
      return Promise.resolve("run");
    }
    return new Promise<InitTurn>((resolve, reject) => {
      const waiter = (turn: InitTurn): void => {
        signal.removeEventListener("abort", onAbort);
        resolve(turn);
      };
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal.reason);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Marks the init done (already done by a persisted key). */
  markDone(): void {
    this.state = "done";
    for (const w of this.waiters.splice(0)) w("done");
  }

  /** Ends the running init: success wakes every waiter, failure hands it to the next one. */
  finish(ok: boolean): void {
    if (ok) return this.markDone();
    this.attempts++;
    const next = this.waiters.shift();
    if (next) {
      this.state = "running";
      next("run");
    } else {
      this.state = "failed";
    }
  }
}
