/**
 * The on-disk record of one environment: every event as JSON lines, and a
 * human-readable log with lifecycle events and service output interleaved.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { formatEvent } from "../events/event-text.js";
import { EventSchema, type Event } from "../gen/rig/v1/event_pb.js";

export class RunFiles {
  readonly eventLogPath: string;
  readonly logPath: string;
  private readonly events: WriteStream;
  private readonly text: WriteStream;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    this.eventLogPath = join(dir, "events.jsonl");
    this.logPath = join(dir, "rig.log");
    this.events = createWriteStream(this.eventLogPath, { flags: "a" });
    this.text = createWriteStream(this.logPath, { flags: "a" });
  }

  /** Appends one event to both files. */
  write(event: Event): void {
    this.events.write(`${toJsonString(EventSchema, event)}\n`);
    this.text.write(`${formatEvent(event)}\n`);
  }

  /** Flushes and closes both files. */
  async close(): Promise<void> {
    await Promise.all([
      new Promise<void>((r) => this.events.end(r)),
      new Promise<void>((r) => this.text.end(r)),
    ]);
  }
}
