/**
 * rigd's structured log: pino JSON lines appended to RIG_DIR/rigd.log. Components log
 * through child loggers carrying fields such as `component`, `env`, `service`, `phase`.
 */
import path from "node:path";
import { pino } from "pino";
import type { Logger } from "pino";

/** A logger writing to a file, and how to flush it before the process exits. */
export interface FileLogger {
  readonly logger: Logger;
  readonly file: string;
  /** Writes out buffered lines synchronously (safe right before process.exit). */
  flush(): void;
}

/** Opens RIG_DIR/rigd.log (appending) and returns a logger writing JSON lines to it. */
export function createFileLogger(rigDir: string, level: string = process.env.RIG_LOG_LEVEL ?? "info"): FileLogger {
  const file = path.join(rigDir, "rigd.log");
  // Asynchronous writes keep logging off the request path; flush() drains on exit.
  const destination = pino.destination({ dest: file, append: true, mkdir: true, sync: false, mode: 0o600 });
  const logger = pino(
    {
      level,
      base: { pid: process.pid, name: "rigd" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
  return {
    logger,
    file,
    flush(): void {
      try {
        destination.flushSync();
      } catch {
        // Nothing written yet (the file opens asynchronously); nothing to flush.
      }
    },
  };
}
