/**
 * google.protobuf.Duration to milliseconds, with validation that reports where a
 * duration is malformed instead of silently clamping it.
 */
import { durationMs as toMs, type Duration } from "@bufbuild/protobuf/wkt";
import type { ProblemSink } from "./service-type.js";

/** Reports a problem at a path. */
export type Report = (path: string, message: string) => void;

/**
 * Milliseconds of `d`, or `fallback` when unset or zero. Negative or malformed
 * durations are reported and yield the fallback.
 */
export function durationMs(d: Duration | undefined, path: string, report: Report, fallback: number): number {
  if (!d) return fallback;
  const { seconds, nanos } = d;
  if (nanos <= -1_000_000_000 || nanos >= 1_000_000_000) {
    report(path, `malformed duration: nanos ${nanos} out of range (±999999999)`);
    return fallback;
  }
  if ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) {
    report(path, `malformed duration: seconds ${seconds} and nanos ${nanos} have different signs`);
    return fallback;
  }
  if (seconds < 0n || nanos < 0) {
    // Checked on the parts: a tiny negative duration rounds to 0 ms and must not pass as unset.
    report(path, `duration must not be negative (got ${seconds}s ${nanos}ns)`);
    return fallback;
  }
  const ms = toMs(d);
  if (ms < 0) {
    report(path, `duration must not be negative (got ${ms / 1000}s)`);
    return fallback;
  }
  if (ms > 7 * 24 * 3600 * 1000) {
    report(path, `duration ${ms / 1000}s is longer than a week; that is almost certainly a mistake`);
    return fallback;
  }
  return ms === 0 ? fallback : ms;
}

/** durationMs for a type's validate(): problems go to its sink. */
export function specDurationMs(d: Duration | undefined, path: string, problems: ProblemSink, fallback: number): number {
  return durationMs(d, path, (p, m) => problems.add(p, m), fallback);
}
