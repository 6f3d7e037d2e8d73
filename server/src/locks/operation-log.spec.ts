/**
 * The operation log on disk: rotated past its size (one older file kept, so it stays
 * bounded), numbered on across rotations and rigd restarts, a torn line from a killed
 * rigd skipped without losing the next record, and read back whole (oldest first) by
 * readOperationLog and `rig locks log`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { OperationLog, operationLogFile, readOperationLog, rotatedLogFile } from "./operation-log.js";

const RIG_CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "cli", "rig.js");
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function rigDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "rig-oplog-"));
  dirs.push(dir);
  return dir;
}

test("past its size the log rotates into one older file: bounded on disk, numbered on, read back whole", () => {
  const dir = rigDir();
  const file = operationLogFile(dir);
  const max = 4096;
  let log = new OperationLog(file, max);
  for (let i = 0; i < 200; i++) {
    log.record({ op: "acquire", resources: [i % 2 ? "odd" : "even"], lockId: `L${i}`, detail: "x".repeat(40) });
    if (i === 120) log = new OperationLog(file, max); // a rigd restart in between
  }
  assert.deepEqual(readdirSync(join(dir, "locks")).sort(), ["operations.1.jsonl", "operations.jsonl"]);
  for (const f of [file, rotatedLogFile(file)]) assert.ok(statSync(f).size <= max, `${f} is ${statSync(f).size} bytes`);

  const kept = readOperationLog(file);
  const seqs = kept.map((r) => r.seq);
  assert.equal(seqs.at(-1), 200, "the newest record is kept");
  assert.deepEqual(seqs, seqs.map((_, i) => seqs[0]! + i), "consecutive across rotations and restarts, oldest first");
  assert.ok(seqs[0]! > 1, "the oldest records went");
  assert.ok(readOperationLog(file, { resource: "odd" }).every((r) => r.resources?.includes("odd")));

  const cli = spawnSync(process.execPath, [RIG_CLI, "locks", "log", "--resource", "even", "--short"], {
    env: { ...process.env, RIG_DIR: dir, NO_COLOR: "1" },
    encoding: "utf8",
  });
  assert.equal(cli.status, 0, cli.stderr);
  const lines = cli.stdout.trim().split("\n");
  assert.equal(lines.length, kept.filter((r) => r.resources?.includes("even")).length);
  assert.match(lines.at(-1)!, /acquire\s+even L198: x+$/);
});

test("a torn last line from a killed rigd is skipped, and the next record stands alone", () => {
  const file = operationLogFile(rigDir());
  new OperationLog(file).record({ op: "server.start" });
  appendFileSync(file, '{"seq":2,"time":"2026-01-01T00:00:00.000Z","op":"acq');
  new OperationLog(file).record({ op: "server.start", detail: "again" });
  assert.deepEqual(readOperationLog(file).map((r) => `${r.seq} ${r.op} ${r.detail ?? ""}`.trim()), ["1 server.start", "2 server.start again"]);
});
