import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { parseRigdArgs } from "./cli-args.js";
import { DEFAULT_LOG_RETENTION, parseSize, pruneLogs } from "./log-retention.js";

const root = mkdtempSync(join(tmpdir(), "rig-logs-"));
after(() => rmSync(root, { recursive: true, force: true }));

const DAY = 24 * 3600_000;

/** A run's log folder of `bytes` bytes, last written `ageMs` ago. */
function run(logs: string, id: string, ageMs: number, bytes = 10): void {
  const dir = join(logs, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "events.jsonl"), "x".repeat(bytes));
  const when = new Date(Date.now() - ageMs);
  utimesSync(join(dir, "events.jsonl"), when, when);
  utimesSync(dir, when, when);
}

describe("log retention", () => {
  it("removes finished runs older than the age, never a live one", () => {
    const logs = join(root, "age");
    run(logs, "old", 8 * DAY);
    run(logs, "old-but-live", 9 * DAY);
    run(logs, "fresh", DAY);
    const removed = pruneLogs(logs, DEFAULT_LOG_RETENTION, (id) => id === "old-but-live");
    assert.deepEqual(removed, ["old"]);
    assert.deepEqual(readdirSync(logs).sort(), ["fresh", "old-but-live"]);
  });

  it("then removes the oldest until the folder fits the size budget", () => {
    const logs = join(root, "size");
    run(logs, "a", 3 * DAY, 600);
    run(logs, "b", 2 * DAY, 600);
    run(logs, "c", 1 * DAY, 600);
    const removed = pruneLogs(logs, { maxAgeMs: 0, maxBytes: 1300 }, () => false);
    assert.deepEqual(removed, ["a"]);
    assert.deepEqual(readdirSync(logs).sort(), ["b", "c"]);
  });

  it("is configured with --keep-logs and --max-logs", () => {
    const cmd = parseRigdArgs(["--keep-logs", "2d", "--max-logs", "500MiB"], {});
    assert.ok(cmd.kind === "run");
    assert.deepEqual(cmd.logRetention, { maxAgeMs: 2 * DAY, maxBytes: 500 * 1024 * 1024 });
    assert.equal(parseSize("0"), 0);
    assert.throws(() => parseRigdArgs(["--max-logs", "lots"], {}), /--max-logs: "lots" is not a size/);
  });
});
