/**
 * Splits a byte stream into text lines for service output events, bounding line
 * length so one runaway line cannot hold unbounded memory.
 */
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";

const MAX_LINE = 16 * 1024;

/** Calls `onLine` for every line of `stream` (without the newline); flushes the rest at end. */
export function splitLines(stream: Readable, onLine: (line: string) => void): void {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  stream.on("data", (chunk: Buffer) => {
    pending += decoder.write(chunk);
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      onLine(pending.slice(0, nl).replace(/\r$/, ""));
      pending = pending.slice(nl + 1);
    }
    while (pending.length > MAX_LINE) {
      onLine(`${pending.slice(0, MAX_LINE)} [line split: longer than ${MAX_LINE} chars]`);
      pending = pending.slice(MAX_LINE);
    }
  });
  stream.on("end", () => {
    pending += decoder.end();
    if (pending) onLine(pending);
    pending = "";
  });
}
