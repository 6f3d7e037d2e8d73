/**
 * Runs one attempt of a suite's command: `/bin/sh -c COMMAND` in the suite's dir, in a
 * process group of its own, with RIG_PROCESS_TREE set so every descendant (a test's
 * `setsid` child, a server a test left running) is found and killed when the attempt
 * ends or is aborted (timeout, cancel, rigd stopping). The pid is recorded so a rigd
 * that dies mid-run has the group reaped by the next one.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import { splitLines } from "../io/line-splitter.js";
import { TREE_MARKER_VAR, type TreeKiller } from "../os/process-tree.js";

/** How long the pipes may stay open after the command exits. */
const DRAIN_MS = 300;

/** How an attempt ended. */
export interface AttemptExit {
  /** Exit code; -1 when killed by a signal. */
  readonly code: number;
  readonly signal: string | null;
  /** The signal aborted it (timeout or cancel). */
  readonly aborted: boolean;
}

/** What an attempt needs besides the command. */
export interface AttemptHost {
  readonly trees: TreeKiller;
  /** Persists the pid so the next rigd reaps it should this one die (ProcessRecords). */
  readonly records?: { add(pgid: number, command: string, marker: string): void; remove(pgid: number): void };
  /** Tells rigd's watchdog about the tree, so it dies with rigd. */
  readonly watchdog?: { watchTree(marker: string): void; forgetTree(marker: string): void };
  /** Prefix of tree markers, unique to this rigd. */
  readonly markerPrefix: string;
}

/** One attempt to run. */
export interface AttemptSpec {
  readonly command: string;
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly onLine: (stream: "stdout" | "stderr", line: string) => void;
  readonly signal: AbortSignal;
}

/** Runs the command to its end (or until the signal aborts), then kills what it left behind. */
export async function runAttempt(host: AttemptHost, spec: AttemptSpec): Promise<AttemptExit> {
  const marker = `${host.markerPrefix}.suite.${randomBytes(6).toString("hex")}`;
  if (spec.signal.aborted) return { code: -1, signal: null, aborted: true };
  host.watchdog?.watchTree(marker);
  const child = spawn("/bin/sh", ["-c", spec.command], {
    cwd: spec.dir,
    env: { ...spec.env, [TREE_MARKER_VAR]: marker },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  splitLines(child.stdout, (line) => spec.onLine("stdout", line));
  splitLines(child.stderr, (line) => spec.onLine("stderr", line));
  const pid = await new Promise<number>((resolve, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot run the suite command in ${spec.dir}: ${err.code === "ENOENT" ? "the directory does not exist" : err.message}`)),
    );
    child.once("spawn", () => resolve(child.pid!));
  }).catch(async (err: unknown) => {
    host.watchdog?.forgetTree(marker);
    throw err;
  });
  host.records?.add(pid, spec.command, marker);
  let aborted = false;
  const killTree = (): void => {
    aborted = true;
    signalGroup(pid, "SIGKILL");
    void host.trees.kill(marker);
  };
  spec.signal.addEventListener("abort", killTree, { once: true });
  try {
    const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
    const { code, signal } = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    // Let the pipes drain so the last lines are in; a descendant holding them open is
    // killed with the tree below, which ends them.
    const drained = await Promise.race([closed.then(() => true), delay(DRAIN_MS).then(() => false)]);
    if (!drained) {
      signalGroup(pid, "SIGKILL");
      await host.trees.kill(marker);
      await closed;
    }
    return { code: code ?? -1, signal, aborted };
  } finally {
    spec.signal.removeEventListener("abort", killTree);
    // Whatever the command left running (in its group or not) goes with it.
    signalGroup(pid, "SIGKILL");
    await host.trees.kill(marker);
    host.records?.remove(pid);
    host.watchdog?.forgetTree(marker);
  }
}

/** Sends a signal to a process group that may be gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // gone
  }
}
