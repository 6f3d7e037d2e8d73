/** The error a readiness wait ends with when the service never became ready in time. */

/** A service did not become ready within its readiness timeout. */
export class ReadinessTimeoutError extends Error {
  constructor(
    /** How long the wait lasted. */
    readonly waitedMs: number,
    /** How many probe attempts were started. */
    readonly attempts: number,
    /** What the last finished attempt reported, if anything. */
    readonly lastDetail: string | undefined,
  ) {
    super(
      `not ready after ${(waitedMs / 1000).toFixed(1)}s ` +
        `(${attempts} attempt${attempts === 1 ? "" : "s"})${lastDetail ? `: ${lastDetail}` : ""}`,
    );
    this.name = "ReadinessTimeoutError";
  }
}
