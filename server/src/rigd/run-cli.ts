/**
 * The rigd executable around startRigd: flags, exit codes and signals.
 * Exit codes: 0 after a clean shutdown (idle, SIGTERM, SIGINT), 1 when rigd cannot
 * start or dies of an unexpected error, 2 for a bad command line.
 */
import { isSea } from "node:sea";
import { inRigdBundle } from "../os/rigd-bundle.js";
import { parseRigdArgs, USAGE, UsageError } from "./cli-args.js";
import { boundHeapGrowth, stopPretenuring } from "./heap-sizing.js";
import { rigdVersion } from "./rig-dir.js";
import { startRigd } from "./start-rigd.js";
import type { RigdOptions, RunningRigd } from "./start-rigd.js";

/** A shutdown that takes longer than this is abandoned (exit 1). */
const SHUTDOWN_DEADLINE_MS = 60_000;

/** Runs rigd for `argv` and exits the process when it stops. */
export async function runRigdCli(
  argv: readonly string[],
  createBackend: RigdOptions["createBackend"],
): Promise<void> {
  let command;
  try {
    command = parseRigdArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`rigd: ${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (command.kind === "help") {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (command.kind === "version") {
    process.stdout.write(`${rigdVersion()}\n`);
    return;
  }

  boundHeapGrowth();
  stopPretenuring();

  // Services inherit rigd's environment by default; a token meant for a client of some
  // rigd (RIG_TOKEN) must not reach them.
  delete process.env.RIG_TOKEN;

  // Handlers go in before starting: the addr file appears as soon as rigd serves, and a
  // SIGTERM that follows at once must still mean a graceful shutdown.
  let rigd: RunningRigd | undefined;
  let pendingStop: { reason: "signal" | "fatal"; exitCode: number } | undefined;
  let stopping = false;
  const stop = (reason: "signal" | "fatal", exitCode: number): void => {
    if (!rigd) {
      pendingStop ??= { reason, exitCode };
      return;
    }
    const log = rigd.logger.child({ component: "rigd" });
    if (stopping) {
      // A second signal (or a crash while stopping) means "now": skip the rest.
      log.warn({ reason }, "stop requested again during shutdown; exiting at once");
      process.exit(1);
    }
    stopping = true;
    setTimeout(() => {
      log.error({ deadlineMs: SHUTDOWN_DEADLINE_MS }, "shutdown took too long; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    void rigd.close(reason).then(() => process.exit(exitCode));
  };
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      rigd?.logger.info({ component: "rigd", signal }, "signal received");
      stop("signal", 0);
    });
  }
  // Unexpected errors still tear environments down so nothing leaks.
  const fatal = (kind: string) => (err: unknown): void => {
    if (!rigd) {
      process.stderr.write(`rigd: ${kind} while starting: ${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    }
    rigd.logger.fatal({ component: "rigd", err }, kind);
    stop("fatal", 1);
  };
  process.on("uncaughtException", fatal("uncaught exception"));
  process.on("unhandledRejection", fatal("unhandled rejection"));

  try {
    rigd = await startRigd({
      listen: command.listen,
      idleMs: command.idleMs,
      rigDir: command.rigDir,
      addrFile: command.addrFile,
      orphanGraceMs: command.orphanGraceMs,
      logRetention: command.logRetention,
      retentionMs: command.retentionMs,
      limits: command.limits,
      ...(command.suitesFile !== undefined ? { suitesFile: command.suitesFile } : {}),
      createBackend,
    });
  } catch (err) {
    process.stderr.write(`rigd: cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
  // Says which rigd runs: dist/main.js picks the bundle only while it is current (bundle-choice.ts).
  const form = !inRigdBundle ? "" : isSea() ? ", single executable" : ", one-file bundle";
  process.stdout.write(`rigd ${rigdVersion()} serving on ${rigd.address} (rig dir ${rigd.rigDir}${form})\n`);
  if (pendingStop) stop(pendingStop.reason, pendingStop.exitCode);

  const reason = await rigd.closed;
  if (reason === "idle") process.exit(0);
}
