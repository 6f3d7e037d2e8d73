import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { create, fromJsonString } from "@bufbuild/protobuf";
import { EventSchema, LogStream, ServiceLogSchema, TestNoteSchema } from "../gen/rig/v1/event_pb.js";
import { EventLog } from "../events/event-log.js";
import { formatEvent } from "../events/event-text.js";
import { MAX_BATCH, RunFiles } from "./run-files.js";

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
      assert.deepEqual(lines(files.logPath), log.all().map(formatEvent));
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

  it("keeps every event of earlier turns on disk when the process is killed with SIGKILL", () => {
    const dir = tempDir();
    try {
      // A child appends 3 turns of 100 events, then 5 more and kills itself in that turn.
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
          await new Promise((r) => setImmediate(r));
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
        "the 300 events of the finished turns, in order, and nothing torn",
      );
      assert.equal(lines(join(dir, "rig.log")).length, 300);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
