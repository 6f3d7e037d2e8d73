/**
 * The RunningService of a pooled type: nothing runs per environment (the shared server
 * does), so it runs until stopped, or ends with an error when the shared server dies.
 */
import type { ExitStatus, RunningService } from "../contract/service-type.js";
import { runUntilStopped } from "../io/until-stopped.js";

/** A running service that holds a lease on a server whose death `serverExited` reports. */
export function leasedService(detail: string, serverExited: Promise<string>): RunningService {
  const lease = runUntilStopped(detail);
  const exited = Promise.race([
    lease.exited,
    serverExited.then((why): ExitStatus => ({ code: null, signal: null, error: `the shared server went away: ${why}` })),
  ]);
  return {
    exited,
    detail,
    stop() {
      void lease.stop();
      return exited;
    },
  };
}
