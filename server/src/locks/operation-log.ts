/**
 * The lock operation log: every server start and stop, declare, init start/end, acquire,
 * release and expiry, one JSON object per line in RIG_DIR/locks/operations.jsonl, kept
 * across rigd restarts. rig locks log reads it through GetLockLog, or from disk when no
 * rigd runs (readOperationLog).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The operation log file under a RIG_DIR. */
export function operationLogFile(rigDir: string): string {
  return join(rigDir, "locks", "operations.jsonl");
}

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

  constructor(readonly file: string) {
    mkdirSync(join(file, ".."), { recursive: true, mode: 0o700 });
    const last = existsSync(file) ? lastRecord(file) : undefined;
    this.seq = last?.seq ?? 0;
  }

  /** Records one operation. */
  record(entry: Omit<OperationRecord, "seq" | "time">, now = new Date()): OperationRecord {
    const record: OperationRecord = { seq: ++this.seq, time: now.toISOString(), ...entry };
    appendFileSync(this.file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
    return record;
  }
}

/** Reads the log, keeping records on `resource` (if given) of the given kinds (if any). */
export function readOperationLog(file: string, filter: { resource?: string; operations?: readonly string[] } = {}): OperationRecord[] {
  if (!existsSync(file)) return [];
  const kinds = (filter.operations ?? []).filter((k) => k !== "");
  for (const k of kinds) {
    if (!OPERATION_KINDS[k]) throw new Error(`unknown operation "${k}" (one of ${Object.keys(OPERATION_KINDS).join(", ")})`);
  }
  const out: OperationRecord[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
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
