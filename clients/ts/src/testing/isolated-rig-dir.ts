/**
 * Test support for suites that run against real rigd processes: a private RIG_DIR per
 * test file (so suites never share, or kill, each other's rigd) and, at the end, a stop
 * of exactly the rigd processes started for that dir, found by their `--rig-dir` flag.
 * Imported as `@rig/client/testing`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A private RIG_DIR; disposing it stops its rigd and deletes it. */
export interface IsolatedRigDir extends AsyncDisposable {
  readonly dir: string;
  /** Pids of the rigd processes running with this RIG_DIR. */
  rigdPids(): number[];
  /** SIGTERMs those rigd processes and waits for them (SIGKILL after 15 s). */
  stopRigd(): Promise<void>;
  /** Stops rigd, restores RIG_DIR, removes the dir. */
  dispose(): Promise<void>;
}

/** Creates a temp RIG_DIR and points `process.env.RIG_DIR` at it until disposed. */
export async function isolatedRigDir(prefix = "rig-sdk-test-"): Promise<IsolatedRigDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  const previous = process.env.RIG_DIR;
  process.env.RIG_DIR = dir;
  const rigdPids = (): number[] => processesWithArgs(["--rig-dir", dir]);
  const stopRigd = async (): Promise<void> => {
    const pids = rigdPids();
    for (const pid of pids) signal(pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (pids.some(alive) && Date.now() < deadline) await sleep(50);
    for (const pid of pids.filter(alive)) signal(pid, "SIGKILL");
  };
  const dispose = async (): Promise<void> => {
    await stopRigd();
    if (previous === undefined) delete process.env.RIG_DIR;
    else process.env.RIG_DIR = previous;
    await rm(dir, { recursive: true, force: true });
  };
  return { dir, rigdPids, stopRigd, dispose, [Symbol.asyncDispose]: dispose };
}

/** Pids of processes whose command line has `args` as consecutive arguments (Linux /proc). */
export function processesWithArgs(args: readonly string[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    if (argv.some((_, i) => args.every((arg, j) => argv[i + j] === arg))) pids.push(Number(entry));
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
