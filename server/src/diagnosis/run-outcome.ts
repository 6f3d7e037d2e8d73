/** How a recorded run ended, and when its events happened. */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { DownReason, type EnvironmentDown, type Event } from "../gen/rig/v1/event_pb.js";

/** How a run ended. */
export type Outcome = "passed" | "failed" | "orphaned" | "expired" | "shutdown" | "unfinished";

/** The outcome an `environment.down` records (undefined: the run has not ended). */
export function outcomeOf(down: EnvironmentDown | undefined): Outcome {
  if (!down) return "unfinished";
  if (down.reason === DownReason.FAILED || down.testFailed) return "failed";
  switch (down.reason) {
    case DownReason.ORPHANED:
      return "orphaned";
    case DownReason.TTL_EXPIRED:
      return "expired";
    case DownReason.SHUTDOWN:
      return "shutdown";
    default:
      return "passed";
  }
}

/** Milliseconds since the epoch of an event (0 without a time). */
export function eventMs(event: Event): number {
  return event.time ? timestampMs(event.time) : 0;
}
