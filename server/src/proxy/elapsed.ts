/**
 * Durations for events. `durationFromMs` of @bufbuild/protobuf keeps fractions of a
 * nanosecond, which protobuf cannot encode; proxies measure with performance.now().
 */
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";

/** The time since `start` (a performance.now() reading) as a Duration of whole nanoseconds. */
export function elapsedSince(start: number): Duration {
  const totalNanos = BigInt(Math.max(0, Math.round((performance.now() - start) * 1e6)));
  return create(DurationSchema, { seconds: totalNanos / 1_000_000_000n, nanos: Number(totalNanos % 1_000_000_000n) });
}
