/**
 * Runs a command inside a running container (`docker exec`): hooks, pg_isready, psql,
 * redis-cli. Output is captured (bounded) and optionally streamed line by line.
 */
import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { splitLines } from "../io/line-splitter.js";

/** Captured output kept per stream; older output is dropped first. */
const MAX_CAPTURE = 64 * 1024;
/** Lines of output quoted in a failure message. */
const TAIL_LINES = 15;

/** What an exec produced. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run an exec. */
export interface ExecOptions {
  /** Extra environment of the command. */
  readonly env?: Readonly<Record<string, string>>;
  /** Written to the command's stdin, which is then closed. */
  readonly stdin?: string | Uint8Array;
  readonly user?: string;
  /** Stops waiting (the engine has no API to kill an exec; the command may finish on its own). */
  readonly signal?: AbortSignal;
  /** Receives each output line as it arrives. */
  onLine?(stream: "stdout" | "stderr", line: string): void;
}

/** Thrown by execChecked when the command exits non-zero; the message carries the output tail. */
export class ExecFailedError extends Error {
  constructor(
    readonly what: string,
    readonly result: ExecResult,
  ) {
    super(`${what} exited with code ${result.exitCode}${formatTail(result)}`);
    this.name = "ExecFailedError";
  }
}

/** The last lines of an exec's output (stderr first), for error messages. */
export function formatTail(result: ExecResult): string {
  const lines = [...result.stderr.split("\n"), ...result.stdout.split("\n")].filter((l) => l.trim() !== "");
  if (lines.length === 0) return "";
  return `:\n${lines.slice(-TAIL_LINES).join("\n")}`;
}

function capture(stream: PassThrough, name: "stdout" | "stderr", options: ExecOptions): () => string {
  let text = "";
  stream.on("data", (chunk: Buffer) => {
    text += chunk.toString("utf8");
    if (text.length > MAX_CAPTURE) text = text.slice(-MAX_CAPTURE);
  });
  if (options.onLine) {
    const onLine = options.onLine;
    splitLines(stream, (line) => onLine(name, line));
  }
  return () => text;
}

/** Runs `cmd` in the container and resolves with its exit code and output (any exit code). */
export async function execInContainer(
  docker: Docker,
  container: string,
  cmd: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const signal = options.signal;
  signal?.throwIfAborted();
  const exec = await docker.getContainer(container).exec({
    Cmd: [...cmd],
    AttachStdin: options.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Env: Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`),
    ...(options.user ? { User: options.user } : {}),
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = capture(stdout, "stdout", options);
  const err = capture(stderr, "stderr", options);
  docker.modem.demuxStream(stream, stdout, stderr);
  const ended = new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      stream.destroy();
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = (): void => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    };
    stream.once("end", done);
    stream.once("close", done);
    stream.once("error", (e) => {
      signal?.removeEventListener("abort", onAbort);
      reject(e);
    });
  });
  if (options.stdin !== undefined) stream.end(options.stdin);
  await ended;
  stdout.end();
  stderr.end();
  // The stream can end a moment before the engine records the exit code.
  for (let i = 0; ; i++) {
    const info = await exec.inspect();
    if (!info.Running && info.ExitCode !== null) return { exitCode: info.ExitCode, stdout: out(), stderr: err() };
    if (i >= 200) throw new Error(`exec of ${cmd.join(" ")} did not report an exit code`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Like execInContainer, but a non-zero exit rejects with ExecFailedError naming `what`. */
export async function execChecked(
  docker: Docker,
  container: string,
  cmd: readonly string[],
  what: string,
  options: ExecOptions = {},
): Promise<ExecResult> {
  const result = await execInContainer(docker, container, cmd, options);
  if (result.exitCode !== 0) throw new ExecFailedError(what, result);
  return result;
}
