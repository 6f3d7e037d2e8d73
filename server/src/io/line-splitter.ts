/**
 * Splits a byte stream into text lines for service output events, bounding line
 * length so one runaway line cannot hold unbounded memory: a line longer than
 * MAX_LINE characters is cut there with a marker and the rest of it, up to the next
 * newline, is dropped (output without newlines costs nothing past the first cut).
 */
import { StringDecoder } from "node:string_decoder";
import type { Readable } from "node:stream";

export const MAX_LINE = 16 * 1024;

/** Calls `onLine` for every line of `stream` (without the newline); flushes the rest at end. */
export function splitLines(stream: Readable, onLine: (line: string) => void): void {
  const decoder = new StringDecoder("utf8");
  let pending = "";
  /** Inside a line that was already cut: drop until its newline. */
  let cutting = false;
  stream.on("data", (chunk: Buffer) => {
    pending += decoder.write(chunk);
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      if (!cutting) onLine(pending.slice(0, nl).replace(/\r$/, ""));
      cutting = false;
      pending = pending.slice(nl + 1);
    }
    if (cutting) {
      pending = "";
    } else if (pending.length > MAX_LINE) {
      onLine(`${pending.slice(0, MAX_LINE)} [rig: line cut at ${MAX_LINE} characters]`);
      pending = "";
      cutting = true;
    }
  });
  stream.on("end", () => {
    pending += decoder.end();
    if (pending && !cutting) onLine(pending.length > MAX_LINE ? `${pending.slice(0, MAX_LINE)} [rig: line cut at ${MAX_LINE} characters]` : pending);
    pending = "";
  });
}
