/**
 * The lock operation log: every server start and stop, declare, init start/end, acquire,
 * release and expiry, one JSON object per line in RIG_DIR/locks/operations.jsonl, kept
 * across rigd restarts. Past a size (rigd --limit lock-log-bytes, default 32 MiB) the file
 * becomes operations.1.jsonl (replacing the one before) and a new one starts, so the log
 * takes at most twice that on disk and keeps the newest operations. GetLockLog and rig
 * locks log read both files, oldest first (readOperationLog).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
import { join } from "node:path";

/** The operation log file under a RIG_DIR. */
export function operationLogFile(rigDir: string): string {
  return join(rigDir, "locks", "operations.jsonl");
}

/** The older file the log rotates into. */
export function rotatedLogFile(file: string): string {
  return file.replace(/(\.jsonl)?$/, ".1.jsonl");
}

/** Default size of the log file before it rotates. */
export const DEFAULT_LOG_BYTES = 32 * 1024 * 1024;

/** Who did something, as stored. */
export interface HolderRecord {
  readonly testName?: string;
  readonly pid?: number;
  readonly language?: string;
  readonly location?: string;
  /** Set when the holder is a service of an environment. */
  readonly environmentId?: string;
  readonly service?: string;
}

/** One line of the log. */
export interface OperationRecord {
  readonly seq: number;
  /** ISO time. */
  readonly time: string;
  readonly op: string;
  readonly resources?: readonly string[];
  readonly mode?: "exclusive" | "shared";
  readonly holder?: HolderRecord;
  readonly lockId?: string;
  readonly detail?: string;
  /** Waited (acquire) or held (release, expire), in ms. */
  readonly durationMs?: number;
}

/** The operation kinds `--operation` filters on, and the ops each covers. */
export const OPERATION_KINDS: Readonly<Record<string, (op: string) => boolean>> = {
  server: (op) => op.startsWith("server."),
  declare: (op) => op === "declare",
  init: (op) => op.startsWith("init."),
  acquire: (op) => op.startsWith("acquire") || op === "release" || op === "expire",
};

/** Appends records to the log file (synchronously: a record is on disk before the caller goes on). */
export class OperationLog {
  private seq: number;
  private size: number;

  constructor(
    readonly file: string,
    private readonly maxBytes = DEFAULT_LOG_BYTES,
  ) {
    mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
    const last = lastRecord(file) ?? lastRecord(rotatedLogFile(file));
    this.seq = last?.seq ?? 0;
    this.size = existsSync(file) ? statSync(file).size : 0;
    // A rigd killed mid-write leaves a torn last line: end it, so the next record stands alone.
    if (this.size > 0 && !readFileSync(file, "utf8").endsWith("\n")) {
      appendFileSync(file, "\n");
      this.size++;
    }
  }

  /** Records one operation. */
  record(entry: Omit<OperationRecord, "seq" | "time">, now = new Date()): OperationRecord {
    const record: OperationRecord = { seq: ++this.seq, time: now.toISOString(), ...entry };
    const line = `${JSON.stringify(record)}\n`;
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) {
      renameSync(this.file, rotatedLogFile(this.file));
      this.size = 0;
    }
    appendFileSync(this.file, line, { mode: 0o600 });
    this.size += bytes;
    return record;
  }
}

/** Reads the log, keeping records on `resource` (if given) of the given kinds (if any). */
export function readOperationLog(file: string, filter: { resource?: string; operations?: readonly string[] } = {}): OperationRecord[] {
  const kinds = (filter.operations ?? []).filter((k) => k !== "");
  for (const k of kinds) {
    if (!OPERATION_KINDS[k]) throw new Error(`unknown operation "${k}" (one of ${Object.keys(OPERATION_KINDS).join(", ")})`);
  }
  const out: OperationRecord[] = [];
  const text = [rotatedLogFile(file), file].map((f) => (existsSync(f) ? readFileSync(f, "utf8") : "")).join("\n");
  for (const line of text.split("\n")) {
    if (!line) continue;
    let record: OperationRecord;
    try {
      record = JSON.parse(line) as OperationRecord;
    } catch {
      continue; // a torn last line from a killed rigd
    }
    if (filter.resource && !record.resources?.includes(filter.resource)) continue;
    if (kinds.length && !kinds.some((k) => OPERATION_KINDS[k]!(record.op))) continue;
    out.push(record);
  }
  return out;
}

function lastRecord(file: string): OperationRecord | undefined {
  if (!existsSync(file)) return undefined;
  const lines = readFileSync(file, "utf8").trimEnd().split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]!) as OperationRecord;
    } catch {
      continue;
    }
  }
  return undefined;
}
