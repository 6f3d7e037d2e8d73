/**
 * Finds and kills every process that carries a marker in its environment. A service's
 * descendants inherit its environment even when they leave its process group (`setsid`,
 * double fork, `nohup`, daemonising), so a marker variable set at spawn reaches the whole
 * tree, as Jenkins' process-tree killer does. Linux /proc; processes of other users are
 * not readable and are skipped.
 *
 * A scan reads one /proc/PID/environ per process, ~10 µs each. Descendants are forked
 * after their tree's leader, and the kernel hands out pids upwards until it wraps, so a
 * scan told the lowest leader pid reads only the pids from there on, unless the pid
 * counter has wrapped below it since (then it reads them all).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Name of the variable that carries a process tree's marker. */
export const TREE_MARKER_VAR = "RIG_PROCESS_TREE";

/**
 * Pids (other than this process) whose environment has `RIG_PROCESS_TREE=<one of markers>`,
 * by marker. With `fromPid` (the lowest pid of the trees' leaders), pids below it are not
 * read while the kernel's pid counter has not wrapped below it.
 */
export function processesWithMarkers(markers: ReadonlySet<string>, fromPid = 0): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (markers.size === 0) return found;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  const prefix = `${TREE_MARKER_VAR}=`;
  const floor = fromPid > 0 && lastPid() >= fromPid ? fromPid : 0;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid || Number(entry) < floor) continue;
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

/** The last pid the kernel handed out in this pid namespace (0 when unknown: scan everything). */
function lastPid(): number {
  try {
    return Number(readFileSync("/proc/sys/kernel/ns_last_pid", "latin1")) || 0;
  } catch {
    return 0;
  }
}

/** SIGKILLs every process carrying one of `markers` (see processesWithMarkers for `fromPid`); returns how many it signalled. */
export function killMarked(markers: ReadonlySet<string>, fromPid = 0): number {
  let killed = 0;
  for (const pids of processesWithMarkers(markers, fromPid).values()) {
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
  /** The lowest leader pid of the pending trees; 0 once one came without its leader. */
  private fromPid = Infinity;

  /**
   * Kills the tree of `marker`, whose first process was `leaderPid` (unknown: every pid
   * is read); resolves once the scan that covers it is done.
   */
  kill(marker: string, leaderPid = 0): Promise<void> {
    this.pending.add(marker);
    this.fromPid = Math.min(this.fromPid, leaderPid);
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const markers = this.pending;
    const waiting = this.waiting;
    const fromPid = this.fromPid;
    this.pending = new Set();
    this.waiting = [];
    this.fromPid = Infinity;
    try {
      killMarked(markers, fromPid);
    } finally {
      for (const resolve of waiting) resolve();
    }
  }
}
