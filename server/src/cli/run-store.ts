/**
 * Finished (and running) runs on disk: `RIG_DIR/logs/<environment id>/events.jsonl`.
 * Runs are listed newest first by directory time and summarised from the first event
 * (`environment.created`: name, services) and the last (`environment.down`: outcome), so
 * listing 1,000 runs reads two small pieces of each, one run at a time, and the first
 * line can be printed before the rest are read.
 */
import { existsSync, statSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { EnvironmentDown } from "../gen/rig/v1/event_pb.js";
import { eventMs, outcomeOf, type Outcome } from "../diagnosis/run-outcome.js";
import { firstAndLastLine, parseEventLine } from "./event-file.js";

/** Types of internal graph nodes (the observing proxies and the virtual `~test` node). */
const INTERNAL_TYPES = new Set(["proxy", "test"]);


/** One run directory, before reading it. */
export interface RunEntry {
  readonly id: string;
  readonly dir: string;
  readonly eventLogPath: string;
  readonly mtimeMs: number;
}

/** What a listing shows of a run. */
export interface RunSummary extends RunEntry {
  readonly name: string;
  readonly startedMs: number;
  /** Time of the last event (environment.down for a finished run). */
  readonly lastEventMs: number;
  readonly outcome: Outcome;
  /** The services the test declared (internal nodes left out). */
  readonly services: readonly string[];
  readonly down?: EnvironmentDown;
}

/** `RIG_DIR/logs`. */
export function logsDir(rigDir: string): string {
  return join(rigDir, "logs");
}

/** Every run directory under RIG_DIR/logs, newest first. */
export async function runEntries(rigDir: string): Promise<RunEntry[]> {
  const root = logsDir(rigDir);
  const names = await readdir(root).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const entries = await Promise.all(
    names.map(async (id): Promise<RunEntry | undefined> => {
      const dir = join(root, id);
      const info = await stat(dir).catch(() => undefined);
      if (!info?.isDirectory()) return undefined;
      return { id, dir, eventLogPath: join(dir, "events.jsonl"), mtimeMs: info.mtimeMs };
    }),
  );
  return entries
    .filter((e): e is RunEntry => e !== undefined)
    .sort((a, b) => b.mtimeMs - a.mtimeMs || (a.id < b.id ? 1 : -1));
}


/** Reads a run's first and last events; undefined when its log has no first event. */
export async function summarize(entry: RunEntry): Promise<RunSummary | undefined> {
  const lines = await firstAndLastLine(entry.eventLogPath).catch(() => undefined);
  const first = lines?.first ? parseEventLine(lines.first) : undefined;
  if (!first) return undefined;
  const last = lines?.last ? parseEventLine(lines.last) : undefined;
  const created = first.payload.case === "environmentCreated" ? first.payload.value : undefined;
  const down = last?.payload.case === "environmentDown" ? last.payload.value : undefined;
  return {
    ...entry,
    name: created?.name ?? entry.id,
    startedMs: eventMs(first),
    lastEventMs: last ? eventMs(last) : eventMs(first),
    outcome: outcomeOf(down),
    services: (created?.services ?? []).filter((s) => !INTERNAL_TYPES.has(s.type)).map((s) => s.name),
    down,
  };
}


/** Summaries of every run, newest first, read one at a time. */
export async function* runSummaries(rigDir: string): AsyncGenerator<RunSummary> {
  for (const entry of await runEntries(rigDir)) {
    const summary = await summarize(entry);
    if (summary) yield summary;
  }
}

/** Thrown when no run matches. */
export class RunNotFoundError extends Error {}

/**
 * The run `query` names: a path to a run directory or its events.jsonl, an exact
 * environment id, else the newest run whose test name or id contains `query`
 * (case-insensitive).
 */
export async function findRun(rigDir: string, query: string): Promise<RunSummary> {
  const byPath = runAtPath(query);
  if (byPath) {
    const summary = await summarize(byPath);
    if (summary) return summary;
  }
  const exact = join(logsDir(rigDir), query);
  if (!query.includes("/") && existsSync(join(exact, "events.jsonl"))) {
    const summary = await summarize({ id: query, dir: exact, eventLogPath: join(exact, "events.jsonl"), mtimeMs: statSync(exact).mtimeMs });
    if (summary) return summary;
  }
  const needle = query.toLowerCase();
  for await (const run of runSummaries(rigDir)) {
    if (run.name.toLowerCase().includes(needle) || run.id.toLowerCase().includes(needle)) return run;
  }
  throw new RunNotFoundError(`rig: no run matches "${query}" in ${logsDir(rigDir)} (runs are named by test name or id; see rig ls)`);
}

function runAtPath(query: string): RunEntry | undefined {
  if (!query.includes("/")) return undefined;
  const path = resolve(query);
  const eventLogPath = basename(path) === "events.jsonl" ? path : join(path, "events.jsonl");
  if (!existsSync(eventLogPath)) return undefined;
  const dir = dirname(eventLogPath);
  return { id: basename(dir), dir, eventLogPath, mtimeMs: statSync(dir).mtimeMs };
}
