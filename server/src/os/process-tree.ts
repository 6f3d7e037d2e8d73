/**
 * Finds and kills every process that carries a marker in its environment. A service's
 * descendants inherit its environment even when they leave its process group (`setsid`,
 * double fork, `nohup`, daemonising), so a marker variable set at spawn reaches the whole
 * tree, as Jenkins' process-tree killer does. Linux /proc; processes of other users are
 * not readable and are skipped.
 */
import { readdirSync, readFileSync } from "node:fs";

/** Name of the variable that carries a process tree's marker. */
export const TREE_MARKER_VAR = "RIG_PROCESS_TREE";

/** Pids (other than this process) whose environment has `RIG_PROCESS_TREE=<one of markers>`, by marker. */
export function processesWithMarkers(markers: ReadonlySet<string>): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (markers.size === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  const prefix = `${TREE_MARKER_VAR}=`;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "latin1");
    } catch {
      continue; // gone, or not ours
    }
    const at = environ.indexOf(prefix);
    if (at < 0) continue;
    const end = environ.indexOf("\0", at);
    const marker = environ.slice(at + prefix.length, end < 0 ? undefined : end);
    if (!markers.has(marker)) continue;
    const list = found.get(marker) ?? [];
    list.push(Number(entry));
    found.set(marker, list);
  }
  return found;
}

/** SIGKILLs every process carrying one of `markers`; returns how many it signalled. */
export function killMarked(markers: ReadonlySet<string>): number {
  let killed = 0;
  for (const pids of processesWithMarkers(markers).values()) {
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        // exited meanwhile
      }
    }
  }
  return killed;
}

/**
 * Kills marked trees in batches: markers asked for in the same turn of the event loop
 * share one scan of /proc, so tearing down a thousand services costs one scan, not a
 * thousand.
 */
export class TreeKiller {
  private pending = new Set<string>();
  private waiting: (() => void)[] = [];

  /** Kills the tree of `marker`; resolves once the scan that covers it is done. */
  kill(marker: string): Promise<void> {
    this.pending.add(marker);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const markers = this.pending;
    const waiting = this.waiting;
    this.pending = new Set();
    this.waiting = [];
    try {
      killMarked(markers);
    } finally {
      for (const resolve of waiting) resolve();
    }
  }
}
