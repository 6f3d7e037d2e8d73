/**
 * Parses the human durations rigd's flags take: `500ms`, `30s`, `5m`, `1h`, and
 * combinations such as `1m30s` or `1.5s` (Go's time.ParseDuration units, minus µs/ns).
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/** Milliseconds in `text`; throws an Error naming the input when it is not a duration. */
export function parseDuration(text: string): number {
  const input = text.trim();
  if (input === "0") return 0;
  if (input === "") throw new Error(`invalid duration "${text}": empty`);
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) {
      throw new Error(`invalid duration "${text}": expected a number with a unit (ms, s, m, h, d), e.g. 500ms, 30s, 5m, 1h, 7d`);
    }
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return Math.round(total);
}

/** Renders milliseconds back as a short duration for logs and messages. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0 && ms > 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
