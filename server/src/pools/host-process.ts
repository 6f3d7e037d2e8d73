/**
 * Host processes of the host runtime: a pooled server (postgres, redis-server) run as a
 * child of rigd, and the short commands that reach it (psql, pg_isready, redis-cli,
 * exec hooks).
 *
 * A server runs in its own process group (so a stop reaches every backend it forked),
 * optionally as another user (Postgres refuses to run as root), and is recorded in
 * rigd's pid records so the next rigd kills it when this one dies with SIGKILL. Its
 * last output lines explain a failed start.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { splitLines } from "../io/line-splitter.js";
import { ExecFailedError, type ExecResult } from "../docker/container-exec.js";

/** Captured output kept per stream of a command; older output is dropped first. */
const MAX_CAPTURE = 64 * 1024;
/** Output lines of a server kept to explain a failed start. */
const OUTPUT_TAIL = 30;

/**
 * rigd's pid records (os/process-records.ts satisfies this): the next rigd kills
 * the recorded process groups of one that died.
 */
export interface ProcessRecorder {
  add(pgid: number, command: string): void;
  remove(pgid: number): void;
}

/** Who a host process runs as: a uid/gid pair (only when rigd is root), else rigd's own user. */
export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/** How to run a host command. */
export interface HostCommandOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Written to stdin, which is then closed. */
  readonly stdin?: string;
  readonly cwd?: string;
  readonly runAs?: RunAs;
  /** Kills the command's process group and rejects. */
  readonly signal?: AbortSignal;
  onLine?(stream: "stdout" | "stderr", line: string): void;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

function spawnError(command: string, err: NodeJS.ErrnoException): Error {
  const why = err.code === "ENOENT" ? "not found" : err.code === "EACCES" ? "permission denied" : err.message;
  return new Error(`cannot run ${command}: ${why}`);
}

/** Runs a command on the host in its own process group; resolves with its exit code and output. */
export function runHostCommand(command: string, args: readonly string[], options: HostCommandOptions = {}): Promise<ExecResult> {
  const signal = options.signal;
  signal?.throwIfAborted();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      ...(options.cwd ? { cwd: options.cwd } : {}),
      ...(options.runAs ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    const captured = { stdout: "", stderr: "" };
    for (const name of ["stdout", "stderr"] as const) {
      const stream = child[name] as NodeJS.ReadableStream & import("node:stream").Readable;
      stream.on("data", (chunk: Buffer) => {
        captured[name] = (captured[name] + chunk.toString("utf8")).slice(-MAX_CAPTURE);
      });
      const onLine = options.onLine;
      if (onLine) splitLines(stream, (line) => onLine(name, line));
    }
    const onAbort = (): void => {
      if (child.pid) signalGroup(child.pid, "SIGKILL");
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    child.once("error", (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener("abort", onAbort);
      reject(spawnError(command, err));
    });
    child.once("close", (code, killedBy) => {
      signal?.removeEventListener("abort", onAbort);
      resolve({ exitCode: code ?? (killedBy ? 128 : 1), stdout: captured.stdout, stderr: captured.stderr });
    });
    if (options.stdin !== undefined) {
      child.stdin?.on("error", () => {}); // EPIPE when the command exits without reading
      child.stdin?.end(options.stdin);
    }
  });
}

/** Like runHostCommand, but a non-zero exit rejects with ExecFailedError naming `what`. */
export async function runHostChecked(
  command: string,
  args: readonly string[],
  what: string,
  options: HostCommandOptions = {},
): Promise<ExecResult> {
  const result = await runHostCommand(command, args, options);
  if (result.exitCode !== 0) throw new ExecFailedError(what, result);
  return result;
}

/** What a host server runs. */
export interface HostServerSpec {
  /** `postgres`, `redis`: for messages. */
  readonly kind: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly runAs?: RunAs;
  /** Signal of a clean stop (the group gets SIGKILL after `stopGraceMs`). */
  readonly stopSignal: NodeJS.Signals;
  readonly stopGraceMs?: number;
}

/** A running host server. */
export interface HostServer {
  readonly pid: number;
  /** Resolves (with why) when the server exits. */
  readonly exited: Promise<string>;
  /** Its last output lines, for error messages. */
  tail(): string[];
  /** Stops the whole process group: the stop signal, then SIGKILL after the grace. Idempotent. */
  stop(): Promise<void>;
}

/** Starts a server in its own process group and records it; resolves once it has spawned. */
export function startHostServer(spec: HostServerSpec, records: ProcessRecorder): Promise<HostServer> {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    ...(spec.runAs ? { uid: spec.runAs.uid, gid: spec.runAs.gid } : {}),
  });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    splitLines(stream, (line) => {
      tail.push(line);
      if (tail.length > OUTPUT_TAIL) tail.shift();
    });
  }
  let gone = false;
  const exited = new Promise<string>((resolve) => {
    child.once("exit", (code, signal) => {
      gone = true;
      if (child.pid) records.remove(child.pid);
      resolve(`${spec.kind} server (pid ${child.pid ?? "?"}) exited ${signal ? `on ${signal}` : `with code ${code ?? "?"}`}`);
    });
  });
  return new Promise((resolve, reject) => {
    child.once("error", (err: NodeJS.ErrnoException) => reject(spawnError(spec.command, err)));
    child.once("spawn", () => {
      const pid = child.pid as number;
      records.add(pid, `${spec.command} ${spec.args.join(" ")}`);
      let stopping: Promise<void> | undefined;
      resolve({
        pid,
        exited,
        tail: () => [...tail],
        stop: () =>
          (stopping ??= (async () => {
            if (!gone) signalGroup(pid, spec.stopSignal);
            const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), spec.stopGraceMs ?? 5_000);
            await exited;
            clearTimeout(timer);
            // Forked workers that outlived the main process go with the group.
            signalGroup(pid, "SIGKILL");
          })()),
      });
    });
  });
}

/** The uid/gid of a system user from /etc/passwd, or undefined when there is none. */
export function systemUser(name: string): RunAs | undefined {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const [user, , uid, gid] = line.split(":");
      if (user === name && uid && gid) return { uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    // no passwd file
  }
  return undefined;
}
