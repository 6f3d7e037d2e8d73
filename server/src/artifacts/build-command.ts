/**
 * Runs one build step (`go build`, `npm run build`) as a child process and keeps its
 * output, so a failed build's error carries the compiler's own lines.
 */
import { spawn } from "node:child_process";

/** Lines of output a failure keeps (the end: compilers print the summary last). */
const KEPT_LINES = 60;

/** A build step that exited non-zero (or could not start); the message ends with its output. */
export class BuildFailedError extends Error {
  constructor(
    what: string,
    why: string,
    /** Combined stdout and stderr, last lines only. */
    readonly output: string,
  ) {
    super(output ? `${what} failed (${why}):\n${output}` : `${what} failed (${why})`);
    this.name = "BuildFailedError";
  }
}

/** The last `KEPT_LINES` lines of `text`, saying how many were left out. */
function tail(text: string): string {
  const lines = text.trimEnd().split("\n");
  if (lines.length <= KEPT_LINES) return lines.join("\n");
  return [`... (${lines.length - KEPT_LINES} earlier lines left out)`, ...lines.slice(-KEPT_LINES)].join("\n");
}

/**
 * Runs `command args` in `cwd` with `env`; resolves with its output when it exits 0,
 * else rejects with a `BuildFailedError` titled `what` (e.g. `go build ./cmd/api in /src`).
 */
export function runBuildCommand(
  what: string,
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: Readonly<Record<string, string | undefined>> },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer): void => {
      output += chunk.toString();
      // Bounded: a build that prints megabytes keeps its end.
      if (output.length > 256 * 1024) output = output.slice(-128 * 1024);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "ENOENT" ? `"${command}" not found on PATH or "${options.cwd}" missing` : err.message;
      reject(new BuildFailedError(what, why, ""));
    });
    child.once("close", (code, signal) => {
      if (code === 0) resolve(output);
      else reject(new BuildFailedError(what, signal ? `killed by ${signal}` : `exit ${code}`, tail(output)));
    });
  });
}
