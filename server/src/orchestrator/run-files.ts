/**
 * The on-disk record of one environment: every event as JSON lines, and a
 * human-readable log with lifecycle events and service output interleaved.
 *
 * Writing is off the hot path: `write` encodes the event once (JSON) and queues both
 * lines; the queue goes to disk in one write per file at the end of the current
 * event-loop turn (setImmediate), or at once when MAX_BATCH events are queued. A rigd
 * killed with SIGKILL therefore loses at most the events of its last turn (at most
 * MAX_BATCH events); everything appended in earlier turns is already in the files
 * (in the page cache: a machine crash can lose more, a process crash cannot).
 */
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { formatEvent } from "../events/event-text.js";
import { EventSchema, type Event } from "../gen/rig/v1/event_pb.js";

/** Events queued before a write happens without waiting for the end of the turn. */
export const MAX_BATCH = 1024;

export class RunFiles {
  readonly eventLogPath: string;
  readonly logPath: string;
  private readonly eventsFd: number;
  private readonly textFd: number;
  private json: string[] = [];
  private text: string[] = [];
  private flushScheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.eventLogPath = join(dir, "events.jsonl");
    this.logPath = join(dir, "rig.log");
    this.eventsFd = openSync(this.eventLogPath, "a");
    this.textFd = openSync(this.logPath, "a");
  }

  /**
   * Queues one event for both files. Encodes it here, synchronously, so an event that
   * cannot be encoded throws to whoever appends it instead of breaking the file later.
   */
  write(event: Event): void {
    if (this.closed) throw new Error(`run files in ${this.dir} are closed`);
    const json = toJsonString(EventSchema, event);
    this.json.push(json);
    this.text.push(formatEvent(event));
    if (this.json.length >= MAX_BATCH) this.flush();
    else this.flushScheduled ??= setImmediate(() => this.flush());
  }

  /** Writes every queued event now (one write per file). */
  flush(): void {
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.flushScheduled = undefined;
    if (this.json.length === 0) return;
    const json = this.json;
    const text = this.text;
    this.json = [];
    this.text = [];
    writeAll(this.eventsFd, `${json.join("\n")}\n`);
    writeAll(this.textFd, `${text.join("\n")}\n`);
  }

  /** Flushes and closes both files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.eventsFd);
    closeSync(this.textFd);
  }
}

/** writeSync until every byte is written (a regular file may take a short write). */
function writeAll(fd: number, text: string): void {
  let buffer = Buffer.from(text);
  while (buffer.length > 0) {
    const n = writeSync(fd, buffer);
    buffer = buffer.subarray(n);
  }
}
