/** Line buffering, batching and the bounded queue of the func log shipper. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import type { LogLine } from "./log-shipper.js";
import { LogShipper } from "./log-shipper.js";

test("lines are cut at newlines per stream, partial lines wait, flush sends the rest", async () => {
  const batches: LogLine[][] = [];
  const shipper = new LogShipper(async (lines) => void batches.push(lines), { flushDelayMs: 1 });
  shipper.write(LogStream.STDOUT, "hel");
  shipper.write(LogStream.STDERR, "oops\r\nhalf");
  shipper.write(LogStream.STDOUT, "lo\nworld\n");
  await shipper.flush();
  const lines = batches.flat();
  assert.deepEqual(lines, [
    { stream: LogStream.STDERR, line: "oops" },
    { stream: LogStream.STDOUT, line: "hello" },
    { stream: LogStream.STDOUT, line: "world" },
    { stream: LogStream.STDERR, line: "half" },
  ]);
});

test("many lines go out in few batches, one post at a time", async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const batches: LogLine[][] = [];
  const shipper = new LogShipper(
    async (lines) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      batches.push(lines);
      inFlight--;
    },
    { maxBatch: 100 },
  );
  for (let i = 0; i < 1000; i++) shipper.write(LogStream.STDOUT, `line ${i}\n`);
  await shipper.flush();
  assert.equal(batches.flat().length, 1000);
  assert.ok(batches.length <= 11, `sent ${batches.length} batches`);
  assert.equal(maxInFlight, 1);
  assert.equal(batches.flat()[999]?.line, "line 999");
});

test("a stuck rigd never blocks the writer: the queue is bounded and drops are reported", async () => {
  let release: () => void = () => {};
  const stuck = new Promise<void>((resolve) => (release = resolve));
  const batches: LogLine[][] = [];
  const shipper = new LogShipper(
    async (lines) => {
      batches.push(lines);
      await stuck;
    },
    { maxQueued: 10, maxBatch: 5, flushDelayMs: 1 },
  );
  shipper.write(LogStream.STDOUT, "first\n");
  await new Promise((resolve) => setTimeout(resolve, 20)); // the first batch is now in flight, stuck
  for (let i = 0; i < 100; i++) shipper.write(LogStream.STDOUT, `line ${i}\n`); // returns at once
  assert.equal(shipper.dropped, 90);
  release();
  await shipper.flush();
  const lines = batches.flat().map((l) => l.line);
  assert.equal(lines.filter((l) => l.startsWith("line ")).length, 10);
  assert.ok(lines.some((l) => l.includes("90 log line(s) dropped")), lines.join("\n"));
});

test("a failing post loses its batch and nothing else", async () => {
  let calls = 0;
  const delivered: string[] = [];
  const shipper = new LogShipper(
    async (lines) => {
      if (calls++ === 0) throw new Error("rigd unavailable");
      delivered.push(...lines.map((l) => l.line));
    },
    { maxBatch: 1, flushDelayMs: 1 },
  );
  shipper.write(LogStream.STDOUT, "a\nb\nc\n");
  await shipper.close();
  assert.deepEqual(delivered, ["b", "c"]);
  shipper.write(LogStream.STDOUT, "after close\n");
  await shipper.flush();
  assert.deepEqual(delivered, ["b", "c"]);
});
