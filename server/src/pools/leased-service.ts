/**
 * The RunningService of a pooled type: nothing runs per environment (the shared server
 * does), so it runs until stopped, or ends with an error when the shared server dies.
 */
import type { ExitStatus, RunningService } from "../services/service-type.js";

/** A running service that holds a lease on a server whose death `serverExited` reports. */
export function leasedService(detail: string, serverExited: Promise<string>): RunningService {
  let stop!: () => void;
  const stopped = new Promise<ExitStatus>((resolve) => {
    stop = () => resolve({ code: 0, signal: null });
  });
  const exited = Promise.race([
    stopped,
    serverExited.then((why): ExitStatus => ({ code: null, signal: null, error: `the shared server went away: ${why}` })),
  ]);
  return {
    exited,
    detail,
    stop() {
      stop();
      return exited;
    },
  };
}
