/**
 * Where a command writes: stdout lines with backpressure (a command streams, so it waits
 * for a slow reader instead of buffering a whole listing), stderr, and the styles.
 * A reader that goes away (`rig ls | head`) ends the command quietly.
 */
import type { Writable } from "node:stream";
import { colourWanted, terminalStyle, type TerminalStyle } from "../diagnosis/terminal-style.js";

/** The streams and environment a command runs with (injectable for tests). */
export interface CliIo {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  /** The current time in ms (tests pin it). */
  readonly now: () => number;
}

/** Thrown (and caught by the dispatcher) when stdout's reader went away. */
export class OutputClosedError extends Error {
  constructor() {
    super("output closed");
  }
}

/** A command's output. */
export class CliOutput {
  readonly style: TerminalStyle;
  readonly errStyle: TerminalStyle;
  private closed = false;

  constructor(readonly io: CliIo) {
    this.style = terminalStyle(colourWanted(io.stdout, io.env));
    this.errStyle = terminalStyle(colourWanted(io.stderr, io.env));
    io.stdout.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code === "EPIPE" || err.code === "ERR_STREAM_DESTROYED") this.closed = true;
    });
  }

  /** Writes one line to stdout, waiting while the reader is behind. */
  async line(text = ""): Promise<void> {
    if (this.closed || this.io.stdout.destroyed) throw new OutputClosedError();
    if (!this.io.stdout.write(`${text}\n`)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          this.io.stdout.off("drain", done);
          this.io.stdout.off("close", done);
          this.io.stdout.off("error", done);
          resolve();
        };
        this.io.stdout.on("drain", done);
        this.io.stdout.on("close", done);
        this.io.stdout.on("error", done);
      });
    }
  }

  /** Writes one line to stderr. */
  warn(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }
}
