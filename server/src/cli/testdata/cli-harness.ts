/**
 * Runs the `rig` CLI in-process for tests: a RIG_DIR holding the committed recorded runs
 * (directory times set to each run's start, as rigd leaves them), captured output, and
 * the normalisation golden files are compared after (paths, ports, clock times, dates,
 * durations and id suffixes vary between recordings).
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseEventLine } from "../event-file.js";
import { eventMs } from "../../diagnosis/run-outcome.js";
import { runRig } from "../run-rig.js";

/** The committed recorded runs (src, not dist). */
export const RECORDED_RUNS = fileURLToPath(new URL("../../../src/cli/testdata/runs/", import.meta.url));
/** The golden outputs (src, not dist). */
export const GOLDEN_DIR = fileURLToPath(new URL("../../../src/cli/testdata/golden/", import.meta.url));

/** A fresh RIG_DIR whose logs/ are copies of `runsDir`'s runs, dir times = run start. */
export function rigDirWithRuns(runsDir: string = RECORDED_RUNS): string {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-cli-"));
  mkdirSync(join(rigDir, "logs"));
  for (const id of readdirSync(runsDir)) {
    const dir = join(rigDir, "logs", id);
    cpSync(join(runsDir, id), dir, { recursive: true });
    setRunTime(dir);
  }
  return rigDir;
}

/** Sets a run dir's times to its first event's time. */
export function setRunTime(dir: string): void {
  const first = readFileSync(join(dir, "events.jsonl"), "utf8").split("\n", 1)[0] ?? "";
  const event = parseEventLine(first);
  if (!event) return;
  const at = new Date(eventMs(event));
  utimesSync(join(dir, "events.jsonl"), at, at);
  utimesSync(dir, at, at);
}

/** What one run of the CLI printed. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `rig ...argv` in-process. */
export async function rig(argv: string[], env: NodeJS.ProcessEnv, tty = false): Promise<CliResult> {
  const stdout = Object.assign(new PassThrough(), { isTTY: tty });
  const stderr = Object.assign(new PassThrough(), { isTTY: tty });
  let out = "";
  let err = "";
  stdout.on("data", (d: Buffer) => (out += d.toString()));
  stderr.on("data", (d: Buffer) => (err += d.toString()));
  const code = await runRig(argv, { stdout, stderr, env, now: () => Date.parse("2030-01-01T00:00:00Z") });
  return { code, stdout: out, stderr: err };
}

/** Output with what varies between recordings replaced by placeholders. */
export function normalize(text: string, rigDir: string): string {
  return text
    .replaceAll(rigDir, "$RIG_DIR")
    .replace(/\/tmp\/rig-test-[A-Za-z0-9]+/g, "$RIGD_DIR")
    .replace(/(127\.0\.0\.1|localhost):\d+/g, "$1:PORT")
    .replace(/\b(on|port) \d{4,5}\b/g, "$1 PORT")
    .replace(/\bpid \d+/g, "pid N")
    .replace(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?Z?/g, "DATE")
    .replace(/\b\d\d:\d\d:\d\d\.\d{3}\b/g, "HH:MM:SS.mmm")
    .replace(/\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT/g, "HTTP-DATE")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, "UUID")
    .replace(/-[0-9a-f]{8}\b/g, "-ID")
    .replace(/\b\d+(\.\d+)?(ms|s)\b/g, "T")
    .replace(/\b\d+m\d\ds\b/g, "T")
    .replace(/"(durationMs|atMs|latencyMs|waitMs|prestartMs|startMs|initMs|readyAtMs|ms)": ?\d+/g, '"$1": N')
    .replace(/"(latency|duration)":"[\d.]+s"/g, '"$1":"T"')
    .replace(/\(\d+ (at|\.)/g, "(N $1")
    // Column padding follows the widths of what was normalised away.
    .replace(/ {2,}/g, "  ");
}
