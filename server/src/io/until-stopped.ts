/**
 * A RunningService with no process of its own (the ~test node, client services whose
 * work lives in the client): it runs until stop() is called.
 */
import type { ExitStatus, RunningService } from "../contract/service-type.js";

/** A handle whose `exited` settles (code 0) only when stop() is called. */
export function runUntilStopped(detail?: string): RunningService {
  let markStopped: (status: ExitStatus) => void = () => {};
  const exited = new Promise<ExitStatus>((resolve) => {
    markStopped = resolve;
  });
  return {
    exited,
    ...(detail === undefined ? {} : { detail }),
    stop: async () => {
      markStopped({ code: 0, signal: null });
      return exited;
    },
  };
}
