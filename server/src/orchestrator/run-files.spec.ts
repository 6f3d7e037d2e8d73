import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn, setTimeout as sleep } from "node:timers/promises";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import { EventSchema, LogStream, RequestCompletedSchema, ServiceLogSchema, TestNoteSchema, type Event } from "../gen/rig/v1/event_pb.js";
import { EventLog, RECENT_TRAFFIC, type EventPayload } from "../events/event-log.js";
import { formatEvent } from "../events/event-text.js";
import { FLUSH_MS, MAX_BATCH, RunFiles } from "./run-files.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "rig-run-files-"));
}

function lines(path: string): string[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l !== "");
}

function note(log: EventLog, message: string): void {
  log.append("", { case: "testNote", value: create(TestNoteSchema, { message }) });
}

describe("RunFiles", () => {
  it("writes a turn's events in one batch at the end of the turn, one JSON line and one text line each", async () => {
    const dir = tempDir();
    try {
      const files = new RunFiles(join(dir, "logs"));
      const log = new EventLog("env1", (e) => files.write(e));
      note(log, "first");
      log.append("api", { case: "serviceLog", value: create(ServiceLogSchema, { stream: LogStream.STDERR, line: "boom" }) });
      assert.deepEqual(lines(files.eventLogPath), [], "nothing is written within the turn");
      await nextTurn();
      const json = lines(files.eventLogPath);
      assert.equal(json.length, 2);
      const events = json.map((l) => fromJsonString(EventSchema, l));
      assert.deepEqual(
        events.map((e) => [e.seq, e.type, e.service]),
        [
          [1n, "test.note", ""],
          [2n, "service.log", "api"],
        ],
      );
      assert.deepEqual(lines(files.logPath), (await Array.fromAsync(log.replay())).map(formatEvent));
      note(log, "second turn");
      await files.close();
      assert.equal(lines(files.eventLogPath).length, 3, "close flushes what is queued");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes at once when a turn queues MAX_BATCH events", () => {
    const dir = tempDir();
    try {
      const files = new RunFiles(dir);
      const log = new EventLog("env1", (e) => files.write(e));
      for (let i = 0; i < MAX_BATCH + 3; i++) note(log, `n${i}`);
      assert.equal(lines(files.eventLogPath).length, MAX_BATCH);
      files.flush();
      assert.equal(lines(files.eventLogPath).length, MAX_BATCH + 3);
      void files.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("writes busy turns at most once per FLUSH_MS, idle ones at the end of their turn", async () => {
    const dir = tempDir();
    try {
      const files = new RunFiles(dir);
      const log = new EventLog("env1", (e) => files.write(e));
      note(log, "a");
      await nextTurn();
      assert.equal(lines(files.eventLogPath).length, 1, "the first turn's event is written at its end");
      note(log, "b");
      await nextTurn();
      assert.equal(lines(files.eventLogPath).length, 1, "a turn right after a write waits");
      await sleep(FLUSH_MS + 5);
      assert.equal(lines(files.eventLogPath).length, 2, "until FLUSH_MS after that write");
      await sleep(FLUSH_MS + 5);
      note(log, "c");
      await nextTurn();
      assert.equal(lines(files.eventLogPath).length, 3, "an event after a quiet spell is written at the end of its turn");
      await files.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps every event older than FLUSH_MS on disk when the process is killed with SIGKILL", () => {
    const dir = tempDir();
    try {
      // A child appends 3 turns of 100 events FLUSH_MS apart, then 5 more and kills itself in that turn.
      const script = `
        import { create } from "@bufbuild/protobuf";
        import { TestNoteSchema } from ${JSON.stringify(fileURLToPath(new URL("../gen/rig/v1/event_pb.js", import.meta.url)))};
        import { EventLog } from ${JSON.stringify(fileURLToPath(new URL("../events/event-log.js", import.meta.url)))};
        import { RunFiles } from ${JSON.stringify(fileURLToPath(new URL("./run-files.js", import.meta.url)))};
        const files = new RunFiles(${JSON.stringify(dir)});
        const log = new EventLog("env1", (e) => files.write(e));
        const note = (m) => log.append("", { case: "testNote", value: create(TestNoteSchema, { message: m }) });
        for (let turn = 0; turn < 3; turn++) {
          for (let i = 0; i < 100; i++) note("t" + turn + "-" + i);
          await new Promise((r) => setTimeout(r, ${FLUSH_MS + 5}));
        }
        for (let i = 0; i < 5; i++) note("last-" + i);
        process.kill(process.pid, "SIGKILL");
      `;
      const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], { cwd: import.meta.dirname });
      assert.equal(result.signal, "SIGKILL", result.stderr.toString());
      const json = lines(join(dir, "events.jsonl")).map((l) => fromJsonString(EventSchema, l));
      assert.deepEqual(
        json.map((e) => e.seq),
        Array.from({ length: 300 }, (_, i) => BigInt(i + 1)),
        "the 300 events appended FLUSH_MS before the kill, in order, and nothing torn",
      );
      assert.equal(lines(join(dir, "rig.log")).length, 300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets traffic past the in-memory budget leave memory and reads it back, complete, for every stream", async () => {
    const dir = tempDir();
    try {
      const files = new RunFiles(dir);
      let loads = 0;
      const log = new EventLog("env1", (e) => files.write(e), {
        trafficInMemory: 20_000,
        load: (at) => {
          loads++;
          return files.read(at);
        },
      });
      const follower = Array.fromAsync(log.follow(0n, new AbortController().signal));
      note(log, "before traffic");
      const body = new TextEncoder().encode("x".repeat(500));
      const sent: Event[] = [];
      for (let i = 0; i < 2 * RECENT_TRAFFIC + 100; i++) {
        sent.push(log.append("~proxy", requestCompleted(i, body)));
        // Some turns end, so part of the traffic is on disk and part still queued.
        if (i % 97 === 0) await nextTurn();
      }
      note(log, "after traffic");
      const onDisk = log.trafficOnDiskOnly;
      // ~1 KiB per event: about 20 fit the budget; of the rest all but the recent ones left.
      assert.ok(onDisk >= sent.length - 20 - RECENT_TRAFFIC && onDisk <= sent.length - RECENT_TRAFFIC, `${onDisk} on disk only`);
      const json = (events: readonly Event[]): string[] => events.map((e) => toJsonString(EventSchema, e));
      const expected = json([...sent]);
      const traffic = (events: readonly Event[]): Event[] => events.filter((e) => e.payload.case === "requestCompleted");
      assert.deepEqual(json(traffic(await Array.fromAsync(log.replay()))), expected, "a replay reads them back, bodies and all");
      loads = 0;
      const lifecycle = await Array.fromAsync(log.follow(0n, AbortSignal.abort(), { includeLogs: true, excludeTraffic: true }));
      assert.deepEqual(lifecycle.map((e) => e.type), ["test.note", "test.note"], "a follower without traffic gets the rest");
      assert.equal(loads, 0, "and reads nothing back from disk");
      const fromSeq = 200n;
      const tail = await Array.fromAsync(log.follow(fromSeq, AbortSignal.abort()));
      assert.deepEqual(tail.map((e) => e.seq), Array.from({ length: sent.length + 2 - 200 }, (_, i) => BigInt(201 + i)));
      assert.deepEqual(
        await log.waitFor((e) => e.payload.case === "testNote" && e.payload.value.message === "after traffic", AbortSignal.abort()),
        (await Array.fromAsync(log.replay())).at(-1),
        "waitFor still finds lifecycle events after traffic left memory",
      );
      log.close();
      await files.close();
      assert.deepEqual(json(traffic(await follower)), expected, "a live follower saw every one");
      assert.deepEqual(json(traffic(await Array.fromAsync(log.replay()))), expected, "and after the files are closed");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function requestCompleted(i: number, body: Uint8Array): EventPayload {
  return {
    case: "requestCompleted",
    value: create(RequestCompletedSchema, {
      source: "~test",
      target: "web",
      method: "GET",
      path: `/r/${i}`,
      status: 200,
      requestHeaders: [{ name: "host", value: "web" }],
      responseBody: body,
      responseSize: BigInt(body.length),
    }),
  };
}
