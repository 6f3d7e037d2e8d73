/**
 * The on-disk record of one environment: every event as JSON lines, and a
 * human-readable log with lifecycle events and service output interleaved.
 *
 * Writing is off the hot path: `write` encodes the event once (JSON, written as bytes
 * straight into the batch by `events/json-writer.ts`) and queues both lines; the batch
 * goes to disk in one write per file at the end of the current event-loop turn, but at
 * most once per FLUSH_MS: under
 * proxy load a turn holds one or two requests, and writing per turn cost more syscalls
 * than the proxying itself. MAX_BATCH queued events are written at once. A rigd killed
 * with SIGKILL therefore loses at most the events appended in its last FLUSH_MS (and at
 * most MAX_BATCH of them); everything older is in the files (in the page cache: a machine
 * crash can lose more, a process crash cannot).
 *
 * `write` says where each event's line is (byte offset and length), so the event log can
 * let traffic events leave memory and `read` them back from events.jsonl by offset.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";
import { fromJsonString } from "@bufbuild/protobuf";
import { StoredEvent } from "../events/event-log.js";
import { formatEvent } from "../events/event-text.js";
import { JsonOut } from "../events/json-out.js";
import { writeJson } from "../events/json-writer.js";
import { EventSchema, type Event } from "../gen/rig/v1/event_pb.js";

/** Events queued before a write happens without waiting for the end of the turn. */
export const MAX_BATCH = 1024;
/** At most one batch per this many milliseconds: the events a SIGKILL can lose. */
export const FLUSH_MS = 10;

export class RunFiles {
  readonly eventLogPath: string;
  readonly logPath: string;
  private readonly eventsFd: number;
  private readonly textFd: number;
  /** Lines queued for events.jsonl and rig.log, as the bytes to write (reused after each flush). */
  private readonly json = new JsonOut();
  private readonly text = new JsonOut();
  private queued = 0;
  private flushScheduled: NodeJS.Immediate | NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private closed = false;
  /** Bytes of events.jsonl written or queued: where the next line starts. */
  private end: number;
  /** Bytes of events.jsonl on disk (written, not queued). */
  private written: number;
  private readFd: number | undefined;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.eventLogPath = join(dir, "events.jsonl");
    this.logPath = join(dir, "rig.log");
    this.eventsFd = openSync(this.eventLogPath, "a");
    this.textFd = openSync(this.logPath, "a");
    this.end = this.written = fstatSync(this.eventsFd).size;
  }

  /**
   * Queues one event for both files. Encodes it here, synchronously, so an event that
   * cannot be encoded throws to whoever appends it instead of breaking the file later.
   */
  write(event: Event): StoredEvent {
    if (this.closed) throw new Error(`run files in ${this.dir} are closed`);
    const start = this.json.pos;
    writeJson(EventSchema, event, this.json);
    const stored = new StoredEvent(this.end, this.json.pos - start);
    this.json.byte(0x0a);
    this.end += stored.length + 1;
    this.text.utf8(formatEvent(event));
    this.text.byte(0x0a);
    if (++this.queued >= MAX_BATCH) this.flush();
    else if (!this.flushScheduled) {
      // Whole milliseconds: node keeps one timer list per distinct duration, and a
      // fractional wait made a new list for nearly every flush.
      const wait = Math.ceil(this.lastFlush + FLUSH_MS - performance.now());
      this.flushScheduled = wait <= 0 ? setImmediate(() => this.flush()) : setTimeout(() => this.flush(), wait);
    }
    return stored;
  }

  /** Reads back the event `write` stored at `offset` (flushing first when it is still queued). */
  read(offset: number): Event {
    if (offset >= this.written) this.flush();
    const fd = this.readFd ?? openSync(this.eventLogPath, "r");
    try {
      return fromJsonString(EventSchema, readLine(fd, offset, this.eventLogPath));
    } finally {
      // Open while the run is; a reader after close (a follower still replaying) opens its own.
      if (this.closed) closeSync(fd);
      else this.readFd = fd;
    }
  }

  /** Writes every queued event now (one write per file). */
  flush(): void {
    if (this.flushScheduled) {
      clearImmediate(this.flushScheduled as NodeJS.Immediate);
      clearTimeout(this.flushScheduled as NodeJS.Timeout);
    }
    this.flushScheduled = undefined;
    this.lastFlush = performance.now();
    if (this.queued === 0) return;
    this.queued = 0;
    // Written synchronously, so both buffers can be reused at once; a batch that cannot be
    // written (a full disk) is dropped, not written twice.
    try {
      writeAll(this.eventsFd, this.json.buf.subarray(0, this.json.pos));
      this.written = this.end;
      writeAll(this.textFd, this.text.buf.subarray(0, this.text.pos));
    } finally {
      this.json.reset();
      this.text.reset();
    }
  }

  /** Flushes and closes both files. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    closeSync(this.eventsFd);
    closeSync(this.textFd);
    if (this.readFd !== undefined) closeSync(this.readFd);
    this.readFd = undefined;
  }
}

/** The line of `fd` that starts at `offset`, without its newline. */
function readLine(fd: number, offset: number, path: string): string {
  let buffer = Buffer.allocUnsafe(4096);
  let filled = 0;
  for (;;) {
    const n = readSync(fd, buffer, filled, buffer.length - filled, offset + filled);
    const end = buffer.indexOf(10, filled);
    if (end !== -1 && end < filled + n) return buffer.toString("utf8", 0, end);
    if (n === 0) throw new Error(`${path} ends before the line at byte ${offset} does: was it truncated?`);
    filled += n;
    if (filled === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
  }
}

/** writeSync until every byte is written (a regular file may take a short write). */
function writeAll(fd: number, bytes: Buffer): void {
  let buffer = bytes;
  while (buffer.length > 0) {
    const n = writeSync(fd, buffer);
    buffer = buffer.subarray(n);
  }
}
