import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { processesWithMarkers, TREE_MARKER_VAR, TreeKiller } from "./process-tree.js";

describe("process trees", () => {
  it("finds a marked process from its leader's pid on, not below it, and a TreeKiller told the leader kills it", async () => {
    const marker = `test-${process.pid}-${Date.now()}`;
    // The leader starts a detached grandchild in its own session (setsid), then exits.
    const leader = spawn("/bin/sh", ["-c", "setsid sleep 30 >/dev/null 2>&1 & echo $!"], {
      env: { ...process.env, [TREE_MARKER_VAR]: marker },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    leader.stdout.on("data", (d: Buffer) => (out += d.toString()));
    await once(leader, "close");
    const grandchild = Number(out.trim());
    try {
      assert.ok(grandchild > 0, `the grandchild's pid (${out})`);
      const markers = new Set([marker]);
      assert.deepEqual(processesWithMarkers(markers).get(marker), [grandchild], "a full scan finds it");
      assert.deepEqual(processesWithMarkers(markers, leader.pid!).get(marker), [grandchild], "so does one from the leader's pid");
      const later = spawn("/bin/true");
      await once(later, "close");
      assert.ok(later.pid! > grandchild, "pids count upwards (no wrap during the test)");
      assert.equal(processesWithMarkers(markers, later.pid!).get(marker), undefined, "pids below a later leader's are not read");
      await new TreeKiller().kill(marker, leader.pid!);
      await waitGone(grandchild);
    } finally {
      try {
        process.kill(grandchild, "SIGKILL");
      } catch {
        // killed by the test
      }
    }
  });
});

async function waitGone(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`pid ${pid} still runs`);
}
