/**
 * `rig ls [FILTER] [--failed|--passed] [-n N] [-q] [--json]`: finished and running runs
 * from RIG_DIR/logs, newest first, one line each as soon as it is read.
 */
import { parseArgs } from "node:util";
import type { CliOutput } from "./cli-output.js";
import { dateTime, formatDurationMs } from "../diagnosis/duration-text.js";
import { rigDirOf } from "./rigd-connection.js";
import type { Outcome } from "../diagnosis/run-outcome.js";
import { runSummaries, type RunSummary } from "./run-store.js";
import { UsageError } from "./usage-error.js";


/** Runs the command; resolves to the exit code. */
export async function lsCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      failed: { type: "boolean" },
      passed: { type: "boolean" },
      n: { type: "string", short: "n" },
      quiet: { type: "boolean", short: "q" },
      json: { type: "boolean" },
    },
  });
  if (values.failed && values.passed) throw new UsageError("--failed and --passed exclude each other");
  const limit = values.n === undefined ? Infinity : Number(values.n);
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0)) throw new UsageError(`-n wants a whole number, got "${values.n}"`);
  if (positionals.length > 1) throw new UsageError("rig ls takes at most one FILTER");
  const filter = positionals[0]?.toLowerCase();

  let shown = 0;
  if (shown >= limit) return 0;
  for await (const run of runSummaries(rigDirOf(out.io.env))) {
    if (values.failed && run.outcome !== "failed") continue;
    if (values.passed && run.outcome !== "passed") continue;
    if (filter && !run.name.toLowerCase().includes(filter) && !run.id.toLowerCase().includes(filter)) continue;
    if (values.quiet) await out.line(run.eventLogPath);
    else if (values.json) await out.line(JSON.stringify(runJson(run)));
    else await out.line(runLine(run, out));
    if (++shown >= limit) break;
  }
  return 0;
}

/** The JSON record of a run (`--json`, one object per line). */
export function runJson(run: RunSummary): Record<string, unknown> {
  return {
    id: run.id,
    name: run.name,
    outcome: run.outcome,
    started: new Date(run.startedMs).toISOString(),
    durationMs: run.outcome === "unfinished" ? null : run.lastEventMs - run.startedMs,
    services: run.services,
    failedService: run.down?.failedService || undefined,
    error: run.down?.error || undefined,
    eventLog: run.eventLogPath,
  };
}

function outcomeText(outcome: Outcome, out: CliOutput): string {
  const padded = outcome.padEnd(10);
  if (outcome === "passed") return out.style.green(padded);
  if (outcome === "failed") return out.style.red(padded);
  if (outcome === "unfinished") return out.style.cyan(padded);
  return out.style.yellow(padded);
}

function runLine(run: RunSummary, out: CliOutput): string {
  const duration = run.outcome === "unfinished" ? "-" : formatDurationMs(run.lastEventMs - run.startedMs);
  const failed = run.down?.failedService ? out.style.red(` ${run.down.failedService}: ${firstLine(run.down.error)}`) : "";
  return `${out.style.dim(dateTime(run.startedMs))}  ${outcomeText(run.outcome, out)} ${duration.padStart(7)}  ${out.style.bold(run.name)}  ${out.style.dim(run.id)}  [${run.services.join(" ")}]${failed}`;
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 100 ? `${line.slice(0, 97)}...` : line;
}
