/**
 * Durations as the CLI reads them in flags (`100ms`, `30s`, `5m`, `2h`, `7d`, `1m30s`)
 * and writes them in listings (`850ms`, `2.3s`, `4m05s`, `3h12m`), and clock times.
 */

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;

/** Milliseconds in `text`; throws an Error naming the input when it is not a duration. */
export function parseDurationFlag(text: string): number {
  const input = text.trim();
  if (input === "0") return 0;
  let total = 0;
  PART.lastIndex = 0;
  while (input !== "" && PART.lastIndex < input.length) {
    const start = PART.lastIndex;
    const match = PART.exec(input);
    if (!match || match.index !== start) break;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
    if (PART.lastIndex === input.length) return Math.round(total);
  }
  throw new Error(`invalid duration "${text}": expected a number with a unit (ms, s, m, h, d), e.g. 100ms, 30s, 7d`);
}

/** A short human duration. */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  if (ms < 3_600_000) {
    const s = Math.round(ms / 1000);
    return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  }
  const m = Math.round(ms / 60_000);
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** `HH:MM:SS.mmm` in local time. */
export function clockTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** `YYYY-MM-DD HH:MM:SS` in local time. */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
