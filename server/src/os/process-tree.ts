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
 * The markers of live pids as scans read them, so the next scan reads only pids it has
 * not seen. Sound while a pid names the same process: a process's marker is set at its
 * fork (inherited) or exec (rigd's spawn), never later by anyone who does not know it,
 * and a pid is handed out again only after the kernel's pid counter wrapped, which
 * clears the cache (as does its age: a counter could wrap all the way round unseen).
 * An environment that reads empty (a kernel thread, a zombie, a process halfway through
 * an exec) is not cached: it is read again at the next scan.
 */
export class MarkerCache {
  private markers = new Map<number, string>();
  private lastPid = 0;
  private filledAt = performance.now();

  /**
   * `ownPrefix`: the prefix of every marker its owner will ever look for (its rigd's);
   * other markers are kept as "" (none of ours), so the processes of other rigds cost the
   * cache no string each.
   */
  constructor(
    private readonly maxAgeMs = 1_000,
    private readonly ownPrefix = "",
  ) {}

  /** The cached marker of `pid` ("" for none), or undefined when it must be read. */
  get(pid: number): string | undefined {
    return this.markers.get(pid);
  }

  set(pid: number, marker: string): void {
    this.markers.set(pid, marker.startsWith(this.ownPrefix) ? marker : "");
  }

  /** Called at the start of a scan with the pids alive now: drops the dead, or all when stale. */
  begin(alive: ReadonlySet<number>, lastPid: number): void {
    const now = performance.now();
    if (lastPid < this.lastPid || now - this.filledAt >= this.maxAgeMs || lastPid === 0) {
      this.markers.clear();
      this.filledAt = now;
    }
    this.lastPid = lastPid;
    for (const pid of this.markers.keys()) if (!alive.has(pid)) this.markers.delete(pid);
  }
}

/**
 * Pids (other than this process) whose environment has `RIG_PROCESS_TREE=<one of markers>`,
 * by marker. With `fromPid` (the lowest pid of the trees' leaders), pids below it are not
 * read while the kernel's pid counter has not wrapped below it. With `cache`, pids an
 * earlier scan read are not read again.
 */
export function processesWithMarkers(markers: ReadonlySet<string>, fromPid = 0, cache?: MarkerCache): Map<string, number[]> {
  const found = new Map<string, number[]>();
  if (markers.size === 0 && !cache) return found;
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return found;
  }
  const last = lastPid();
  const floor = fromPid > 0 && last >= fromPid ? fromPid : 0;
  const pids = entries.filter((entry) => /^\d+$/.test(entry)).map(Number);
  cache?.begin(new Set(pids), last);
  for (const pid of pids) {
    if (pid === process.pid || pid < floor) continue;
    let marker = cache?.get(pid);
    if (marker === undefined) {
      const read = markerOf(pid);
      if (read === EMPTY) continue; // a kernel thread, a zombie, or in the middle of an exec: read it again next time
      // Unreadable: gone, or not ours to read (nor to signal).
      cache?.set(pid, read ?? "");
      if (read === undefined) continue;
      marker = read;
    }
    if (!markers.has(marker)) continue;
    const list = found.get(marker) ?? [];
    list.push(pid);
    found.set(marker, list);
  }
  return found;
}

/** What markerOf returns for an empty environment. */
const EMPTY = Symbol("empty environment");

/**
 * The tree marker in a process's environment ("" for none), EMPTY when its environment
 * reads empty (no memory to read it from right now), undefined when it cannot be read.
 */
function markerOf(pid: number): string | typeof EMPTY | undefined {
  let environ: Buffer;
  try {
    environ = readFileSync(`/proc/${pid}/environ`);
  } catch {
    return undefined;
  }
  if (environ.length === 0) return EMPTY;
  const at = environ.indexOf(MARKER_PREFIX);
  if (at < 0) return "";
  const end = environ.indexOf(0, at);
  // Decoded from the bytes, not sliced from a decoded environment: a sliced string keeps
  // the whole environment alive for as long as the cache keeps the marker.
  return environ.toString("latin1", at + MARKER_PREFIX.length, end < 0 ? undefined : end);
}

const MARKER_PREFIX = Buffer.from(`${TREE_MARKER_VAR}=`, "latin1");

/** The last pid the kernel handed out in this pid namespace (0 when unknown: scan everything). */
function lastPid(): number {
  try {
    return Number(readFileSync("/proc/sys/kernel/ns_last_pid", "latin1")) || 0;
  } catch {
    return 0;
  }
}

/** SIGKILLs every process carrying one of `markers` (see processesWithMarkers for `fromPid` and `cache`); returns how many it signalled. */
export function killMarked(markers: ReadonlySet<string>, fromPid = 0, cache?: MarkerCache): number {
  let killed = 0;
  for (const pids of processesWithMarkers(markers, fromPid, cache).values()) {
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
 * thousand. Scans share a MarkerCache, and `warm` fills it while a service is still
 * exiting, so the scan after its exit (on the way to DestroyEnvironment's answer) reads
 * only the pids that are new since.
 */
export class TreeKiller {
  private pending = new Set<string>();
  private waiting: (() => void)[] = [];
  /** The lowest leader pid of the pending trees; 0 once one came without its leader. */
  private fromPid = Infinity;
  private readonly cache: MarkerCache;
  private warming: NodeJS.Immediate | undefined;
  private warmFrom = Infinity;

  /** `markerPrefix`: what every marker this killer is asked for starts with (see MarkerCache). */
  constructor(markerPrefix = "") {
    this.cache = new MarkerCache(undefined, markerPrefix);
  }

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

  /** Reads the markers of the pids from `leaderPid` on in the next turn (no kill), so a kill soon after reads less. */
  warm(leaderPid = 0): void {
    this.warmFrom = Math.min(this.warmFrom, leaderPid);
    this.warming ??= setImmediate(() => {
      const from = this.warmFrom;
      this.warming = undefined;
      this.warmFrom = Infinity;
      processesWithMarkers(new Set(), from, this.cache);
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
      killMarked(markers, fromPid, this.cache);
    } finally {
      for (const resolve of waiting) resolve();
    }
  }
}
