/**
 * rigd's metrics built at the first scrape still count from the process's start: the
 * CPU totals include what rigd used before anyone scraped.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { createRigdMetrics } from "./rigd-metrics.js";

describe("rigd metrics", () => {
  it("count CPU from the process's start, though prom-client loads at the first scrape", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rig-metrics-"));
    try {
      const metrics = createRigdMetrics({ liveCount: 0, observe: () => {} }, join(dir, "operations.jsonl"));
      const { user, system } = process.cpuUsage();
      const { text } = await metrics.scrape();
      const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
      assert.ok(value("rigd_process_cpu_user_seconds_total") >= user / 1e6, `user CPU since start (${user / 1e6} s) is counted`);
      assert.ok(value("rigd_process_cpu_system_seconds_total") >= system / 1e6, "system CPU too");
      assert.ok(value("rigd_process_cpu_seconds_total") >= (user + system) / 1e6, "and their sum");
      assert.match(text, /^rig_environments_created_total 0$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
