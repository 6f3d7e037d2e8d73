/**
 * Reading a run's `events.jsonl` (one `rig.v1.Event` as protobuf JSON per line, written
 * by rigd as the run goes): every event as a stream (events/event-file.ts), or only the
 * first and the last line, which is all a listing needs (two small reads, whatever the
 * file's size).
 */
import { open, type FileHandle } from "node:fs/promises";

// Streaming the events is shared with rigd, which serves finished runs from their file.
export { eventLines, parseEventLine, readEvents } from "../events/event-file.js";

const CHUNK = 64 * 1024;

/** The first and the last complete line of the file (undefined when it has none). */
export async function firstAndLastLine(path: string): Promise<{ first?: string; last?: string }> {
  const file = await open(path, "r");
  try {
    const { size } = await file.stat();
    if (size === 0) return {};
    const first = await readFirstLine(file, size);
    return { first, last: await readLastLine(file, size) };
  } finally {
    await file.close();
  }
}

/** The last line ending in "\n" (a line still being written is not one). */
async function readLastLine(file: FileHandle, size: number): Promise<string | undefined> {
  let tail = Buffer.alloc(0);
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - CHUNK);
    const chunk = Buffer.alloc(end - start);
    await file.read(chunk, 0, chunk.length, start);
    tail = Buffer.concat([chunk, tail]);
    end = start;
    const lastNewline = tail.lastIndexOf(10);
    if (lastNewline < 0) continue;
    const previous = lastNewline > 0 ? tail.lastIndexOf(10, lastNewline - 1) : -1;
    if (previous >= 0 || end === 0) return tail.subarray(previous + 1, lastNewline).toString("utf8") || undefined;
  }
  return undefined;
}

async function readFirstLine(file: FileHandle, size: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let position = 0;
  while (position < size) {
    const buffer = Buffer.alloc(Math.min(CHUNK, size - position));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) break;
    const newline = buffer.subarray(0, bytesRead).indexOf(10);
    if (newline >= 0) {
      chunks.push(buffer.subarray(0, newline));
      return Buffer.concat(chunks).toString("utf8");
    }
    chunks.push(buffer.subarray(0, bytesRead));
    position += bytesRead;
  }
  return undefined;
}
