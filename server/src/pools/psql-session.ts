/**
 * A long-lived psql for a pooled Postgres server (inside its container, or on the host
 * for the host runtime), for the pool's own commands
 * (CREATE/DROP DATABASE, readiness). A `docker exec` costs tens of milliseconds before
 * the command even runs (about 90 ms on a 2-core CI machine), more than cloning a
 * template database; one psql session per server pays that once. Commands are
 * serialized; each ends with a marker line that carries psql's ERROR flag (SQL) or
 * the exit code (shell commands through psql's `\!`, which run inside the container).
 * User SQL hooks do not use this: they need psql's own script semantics and output.
 */
import type Docker from "dockerode";
import { spawn } from "node:child_process";
import { PassThrough } from "node:stream";
import { splitLines } from "../io/line-splitter.js";
import { abortable } from "../async/abortable.js";

/** Thrown when a statement fails; carries the server's SQLSTATE and message. */
export class PsqlError extends Error {
  constructor(
    readonly statement: string,
    readonly sqlState: string,
    readonly serverMessage: string,
  ) {
    super(`${statement}: ${serverMessage} (SQLSTATE ${sqlState})`);
    this.name = "PsqlError";
  }
}

interface Pending {
  readonly marker: string;
  readonly lines: string[];
  done(markerLine: string, lines: string[]): void;
  fail(err: Error): void;
}

/** Where commands are written: psql's stdin. */
interface PsqlInput {
  write(text: string): unknown;
  end(): unknown;
}

/** One psql process, fed commands over stdin. */
export class PsqlSession {
  private serial = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | undefined;
  private ended: Error | undefined;

  private constructor(private readonly stream: PsqlInput) {}

  /**
   * Starts the host's `psql` with `args` (connection options) and `env` (PGPASSWORD);
   * `\!` shell commands then run on the host.
   */
  static async spawn(psql: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<PsqlSession> {
    const child = spawn(psql, ["-X", "-q", "-A", "-t", ...args], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", "pipe"] });
    const session = new PsqlSession(child.stdin);
    const stderr: string[] = [];
    splitLines(child.stderr, (line) => stderr.push(line) > 5 && stderr.shift());
    child.stdin.on("error", (err: Error) => session.onEnd(err));
    splitLines(child.stdout, (line) => session.onLine(line));
    child.once("error", (err: Error) => session.onEnd(err));
    child.once("close", (code) => session.onEnd(new Error(`psql session ended: exit code ${code ?? "?"}${stderr.length ? `: ${stderr.join(" ")}` : ""}`)));
    await session.sql("SELECT 1"); // fails fast when psql cannot connect
    return session;
  }

  /** Starts `psql` as `user` on the local socket of `container`. */
  static async open(docker: Docker, container: string, user: string): Promise<PsqlSession> {
    const exec = await docker.getContainer(container).exec({
      Cmd: ["psql", "-X", "-q", "-A", "-t", "-U", user, "-d", "postgres"],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
    });
    const stream = await exec.start({ hijack: true, stdin: true });
    const session = new PsqlSession(stream);
    const stdout = new PassThrough();
    docker.modem.demuxStream(stream, stdout, new PassThrough().resume());
    splitLines(stdout, (line) => session.onLine(line));
    const end = (why: string) => (): void => session.onEnd(new Error(`psql session ended: ${why}`));
    stream.once("end", end("end of stream"));
    stream.once("close", end("closed"));
    stream.once("error", (err: Error) => session.onEnd(err));
    await session.sql("SELECT 1"); // fails fast when psql cannot connect
    return session;
  }

  /** True once psql went away; open a new session. */
  get closed(): boolean {
    return this.ended !== undefined;
  }

  /** Runs one SQL statement (single line or not, our own SQL only) and resolves with its output lines. */
  sql(statement: string, signal?: AbortSignal): Promise<string[]> {
    const text = statement.trim().endsWith(";") ? statement.trim() : `${statement.trim()};`;
    return this.run(
      (marker) => `${text}\n\\echo ${marker} :ERROR :LAST_ERROR_SQLSTATE :LAST_ERROR_MESSAGE\n`,
      (markerLine, lines) => {
        const [, error, sqlState, ...message] = markerLine.split(" ");
        if (error === "true") throw new PsqlError(statement, sqlState ?? "", message.join(" "));
        return lines;
      },
      signal,
    );
  }

  /** Runs a one-line shell command inside the container; resolves with its exit code and output. */
  shell(command: string, signal?: AbortSignal): Promise<{ exitCode: number; output: string }> {
    if (command.includes("\n")) throw new Error("shell commands must be one line");
    return this.run(
      (marker) => `\\! ${command} 2>&1; echo "${marker} $?"\n`,
      (markerLine, lines) => ({ exitCode: Number(markerLine.split(" ")[1]), output: lines.join("\n") }),
      signal,
    );
  }

  /** Ends psql (it exits on end of input). */
  close(): void {
    this.stream.end();
  }

  private run<T>(command: (marker: string) => string, parse: (markerLine: string, lines: string[]) => T, signal?: AbortSignal): Promise<T> {
    const work = this.queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          if (this.ended) return reject(this.ended);
          const marker = `__rig_${++this.serial}__`;
          this.pending = {
            marker,
            lines: [],
            done: (markerLine, lines) => {
              try {
                resolve(parse(markerLine, lines));
              } catch (err) {
                reject(err);
              }
            },
            fail: reject,
          };
          this.stream.write(command(marker));
        }),
    );
    // The next command waits for this one's marker even when its caller gave up.
    this.queue = work.catch(() => undefined);
    return signal ? abortable(work, signal) : work;
  }

  private onLine(line: string): void {
    const pending = this.pending;
    if (!pending) return;
    if (line === pending.marker || line.startsWith(`${pending.marker} `)) {
      this.pending = undefined;
      pending.done(line, pending.lines);
    } else {
      pending.lines.push(line);
    }
  }

  private onEnd(err: Error): void {
    if (this.ended) return;
    this.ended = err;
    this.pending?.fail(err);
    this.pending = undefined;
  }
}
