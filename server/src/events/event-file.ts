/**
 * Reading a run's `events.jsonl` (one `rig.v1.Event` as protobuf JSON per line, written
 * by rigd as the run goes) as a stream: rigd serves a finished environment's log from
 * it, the CLI and the dashboard read recorded runs with it.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { fromJsonString } from "@bufbuild/protobuf";
import { EventSchema, type Event } from "../gen/rig/v1/event_pb.js";

/** One event from one JSON line; undefined for a line that is not an event (a torn last write). */
export function parseEventLine(line: string): Event | undefined {
  if (!line.trim()) return undefined;
  try {
    return fromJsonString(EventSchema, line, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}

/** Every JSON line of the file, in order, read as a stream. */
export async function* eventLines(path: string, signal?: AbortSignal): AsyncGenerator<string> {
  const input = createReadStream(path, { encoding: "utf8", signal });
  const lines = createInterface({ input, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line) yield line;
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Every event of the file, in order, read as a stream. */
export async function* readEvents(path: string, signal?: AbortSignal): AsyncGenerator<Event> {
  for await (const line of eventLines(path, signal)) {
    const event = parseEventLine(line);
    if (event) yield event;
  }
}
