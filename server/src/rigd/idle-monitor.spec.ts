import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { IdleMonitor } from "./idle-monitor.js";

describe("IdleMonitor", () => {
  it("never fires while busy, and fires once quiet for the whole window", async () => {
    let busy = true;
    let fired = 0;
    const monitor = new IdleMonitor(100, { busy: () => busy, lastActivity: () => 0 }, () => fired++);
    try {
      await sleep(400); // four windows, all busy
      assert.equal(fired, 0);
      busy = false;
      for (let i = 0; i < 200 && fired === 0; i++) await sleep(10);
      assert.equal(fired, 1);
      await sleep(300);
      assert.equal(fired, 1, "fires only once");
    } finally {
      monitor.stop();
    }
  });

  it("counts a recent call as activity", async () => {
    let fired = 0;
    let last = Date.now();
    const monitor = new IdleMonitor(150, { busy: () => false, lastActivity: () => last }, () => fired++);
    try {
      for (let i = 0; i < 8; i++) {
        await sleep(50);
        last = Date.now(); // a call every 50 ms keeps it alive
      }
      assert.equal(fired, 0);
    } finally {
      monitor.stop();
    }
  });
});
