/**
 * The console-style logger a func service gets. It formats like `console` (util.format)
 * and writes to the service's log shipper instead of the test's own stdout, so the
 * output lands in the environment log under the service's name. The global console is
 * never touched.
 */
import { formatWithOptions } from "node:util";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import type { LogShipper } from "./log-shipper.js";

/** A writable text stream of a func service. */
export interface FuncOutput {
  /** Writes text as is; lines are cut at "\n". */
  write(text: string): void;
}

/** Console-style output of a func service: log/info/debug to stdout, warn/error to stderr. */
export interface FuncLogger {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  readonly stdout: FuncOutput;
  readonly stderr: FuncOutput;
}

/** Creates the logger of one func service on top of its shipper. */
export function createFuncLogger(shipper: LogShipper): FuncLogger {
  const line = (stream: LogStream) => (...args: unknown[]): void => {
    shipper.write(stream, `${formatWithOptions({ colors: false }, ...args)}\n`);
  };
  const out = line(LogStream.STDOUT);
  const err = line(LogStream.STDERR);
  return Object.freeze({
    log: out,
    info: out,
    debug: out,
    warn: err,
    error: err,
    stdout: { write: (text: string) => shipper.write(LogStream.STDOUT, text) },
    stderr: { write: (text: string) => shipper.write(LogStream.STDERR, text) },
  });
}
