/**
 * rigd's structured log: pino JSON lines appended to RIG_DIR/rigd-<version>.log (one file
 * per version, so two rigd versions sharing a RIG_DIR never interleave). Components log
 * through child loggers carrying fields such as `component`, `env`, `service`, `phase`.
 */
import { mkdirSync, openSync } from "node:fs";
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

/** The log file of a rigd version in RIG_DIR. */
export function rigdLogFile(rigDir: string, version: string): string {
  return path.join(rigDir, `rigd-${version}.log`);
}

/** Opens RIG_DIR/rigd-<version>.log (appending) and returns a logger writing JSON lines to it. */
export function createFileLogger(
  rigDir: string,
  version: string,
  level: string = process.env.RIG_LOG_LEVEL ?? "info",
): FileLogger {
  const file = rigdLogFile(rigDir, version);
  mkdirSync(rigDir, { recursive: true });
  // Opened here, synchronously, so the stream is ready at once: pino's exit hook flushes
  // it even when rigd exits before its first log line (a port in use). Asynchronous
  // writes keep logging off the request path; flush() drains on exit.
  const destination = pino.destination({ fd: openSync(file, "a", 0o600), sync: false });
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
