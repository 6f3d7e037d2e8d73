/**
 * Keeps RIG_DIR/logs from growing forever: the logs of finished environments older than
 * the retention age go, then the oldest ones until the folder fits the size budget. The
 * logs of a live environment are never touched. rigd prunes at start and once a day.
 */
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";

/** Defaults: a week, 1 GiB. */
export const DEFAULT_LOG_RETENTION = { maxAgeMs: 7 * 24 * 3600_000, maxBytes: 1024 ** 3 } as const;

/** How much to keep; 0 disables that bound. */
export interface LogRetention {
  readonly maxAgeMs: number;
  readonly maxBytes: number;
}

interface RunLogs {
  readonly id: string;
  readonly dir: string;
  /** Newest modification in the folder: when the run last wrote. */
  readonly mtimeMs: number;
  readonly bytes: number;
}

function scan(dir: string): RunLogs | undefined {
  try {
    let mtimeMs = statSync(dir).mtimeMs;
    let bytes = 0;
    for (const name of readdirSync(dir)) {
      const st = statSync(join(dir, name));
      mtimeMs = Math.max(mtimeMs, st.mtimeMs);
      bytes += st.size;
    }
    return { id: dir.slice(dir.lastIndexOf("/") + 1), dir, mtimeMs, bytes };
  } catch {
    return undefined; // removed meanwhile, or not a folder
  }
}

/** Prunes once; returns the ids whose logs were removed. */
export function pruneLogs(logsDir: string, retention: LogRetention, isLive: (id: string) => boolean, now = Date.now()): string[] {
  let names: string[];
  try {
    names = readdirSync(logsDir);
  } catch {
    return [];
  }
  const runs = names
    .map((name) => scan(join(logsDir, name)))
    .filter((r): r is RunLogs => r !== undefined)
    .sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = runs.reduce((sum, r) => sum + r.bytes, 0);
  const removed: string[] = [];
  for (const run of runs) {
    if (isLive(run.id)) continue;
    const tooOld = retention.maxAgeMs > 0 && now - run.mtimeMs > retention.maxAgeMs;
    const overBudget = retention.maxBytes > 0 && total > retention.maxBytes;
    if (!tooOld && !overBudget) continue;
    rmSync(run.dir, { recursive: true, force: true });
    total -= run.bytes;
    removed.push(run.id);
  }
  return removed;
}

/** Prunes now and every `everyMs` (a day) until stopped; never keeps rigd alive. */
export function startLogPruning(options: {
  readonly logsDir: string;
  readonly retention: LogRetention;
  readonly isLive: (id: string) => boolean;
  readonly logger: Logger;
  readonly everyMs?: number;
}): { stop(): void } {
  const run = (): void => {
    try {
      const removed = pruneLogs(options.logsDir, options.retention, options.isLive);
      if (removed.length > 0) options.logger.info({ removed: removed.length }, "pruned old environment logs");
    } catch (err) {
      options.logger.warn({ err }, "pruning old environment logs failed");
    }
  };
  run();
  const timer = setInterval(run, options.everyMs ?? 24 * 3600_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** Parses `1GiB`, `500MiB`, `20KiB`, `1GB`, `123` (bytes), `0` (no bound). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(|B|KB|KiB|MB|MiB|GB|GiB|TB|TiB)$/i.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a size: use e.g. 500MiB, 1GiB or 0 for no limit`);
  const units: Record<string, number> = {
    "": 1,
    b: 1,
    kb: 1e3,
    kib: 1024,
    mb: 1e6,
    mib: 1024 ** 2,
    gb: 1e9,
    gib: 1024 ** 3,
    tb: 1e12,
    tib: 1024 ** 4,
  };
  return Math.round(Number(match[1]) * (units[(match[2] ?? "").toLowerCase()] ?? 1));
}
