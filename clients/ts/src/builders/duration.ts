/**
 * Durations as users write them in options ("30s", "2m", 1500) and as the API wants
 * them (google.protobuf.Duration).
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import { durationFromMs } from "@bufbuild/protobuf/wkt";

/** A duration: milliseconds as a number, or a string such as "250ms", "30s", "2m", "1h". */
export type DurationInput = number | string;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Converts a duration input to milliseconds; throws a TypeError naming the bad value. */
export function toMs(input: DurationInput, what = "duration"): number {
  if (typeof input === "number") {
    if (!Number.isFinite(input) || input < 0) throw new TypeError(`${what}: ${input} is not a non-negative number of milliseconds`);
    return input;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(input);
  if (!match) throw new TypeError(`${what}: "${input}" is not a duration (use e.g. "500ms", "30s", "2m", "1h")`);
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}

/** Converts a duration input to a protobuf Duration. */
export function toDuration(input: DurationInput, what?: string): Duration {
  return durationFromMs(toMs(input, what));
}
