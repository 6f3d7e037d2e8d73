/**
 * The on-disk record of one environment: every event as JSON lines, and a
 * human-readable log with lifecycle events and service output interleaved.
 */
import { createWriteStream, mkdirSync, type WriteStream } from "node:fs";
import { join } from "node:path";
import { toJsonString } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { EventSchema, LogStream, type Event } from "../gen/rig/v1/event_pb.js";

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

/** One line of the human-readable log. */
export function formatEvent(event: Event): string {
  const time = event.time ? timestampDate(event.time).toISOString().slice(11, 23) : "";
  const who = event.service ? `[${event.service}] ` : "";
  const p = event.payload;
  switch (p.case) {
    case "serviceLog":
      return `${time} ${who}${p.value.stream === LogStream.STDERR ? "stderr" : "stdout"}| ${p.value.line}`;
    case "serviceFailed":
      return `${time} ${who}service.failed (${p.value.phase}): ${p.value.reason}`;
    case "environmentDown":
      return `${time} environment.down: ${p.value.summary}`;
    case "progressStall":
      return `${time} progress.stall: ${p.value.message}`;
    case "testNote":
      return `${time} test.note: ${p.value.message}`;
    case "callbackRequest":
      return `${time} ${who}callback.request ${p.value.phase} "${p.value.name}" (${p.value.requestId})`;
    case "callbackResponse":
      return `${time} ${who}callback.response ${p.value.requestId}${p.value.error ? ` error: ${p.value.error}` : " ok"}`;
    case "serviceStarting":
      return `${time} ${who}service.starting${p.value.pid ? ` pid ${p.value.pid}` : ""}${p.value.detail ? `: ${p.value.detail}` : ""}`;
    case "ingressPublished":
      return `${time} ${who}ingress.published ${Object.entries(p.value.ingresses)
        .map(([n, e]) => `${n}=${e.host}:${e.port}`)
        .join(" ")}`;
    default:
      return `${time} ${who}${event.type}`;
  }
}
