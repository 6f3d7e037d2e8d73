import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { MarkerCache, processesWithMarkers, TREE_MARKER_VAR, TreeKiller } from "./process-tree.js";

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

describe("the marker cache of scans", () => {
  it("finds marked processes started after the scan that filled it, and forgets pids that died", async () => {
    const marker = `test-cache-${process.pid}-${Date.now()}`;
    const cache = new MarkerCache();
    const marked = (): ReturnType<typeof spawn> =>
      spawn("sleep", ["30"], { env: { ...process.env, [TREE_MARKER_VAR]: marker }, stdio: "ignore" });
    const first = marked();
    let second: ReturnType<typeof spawn> | undefined;
    try {
      await once(first, "spawn");
      assert.deepEqual(processesWithMarkers(new Set([marker]), 0, cache).get(marker), [first.pid]);
      second = marked();
      await once(second, "spawn");
      assert.deepEqual(processesWithMarkers(new Set([marker]), 0, cache).get(marker)?.sort(), [first.pid, second.pid].sort());
      first.kill("SIGKILL");
      await once(first, "exit");
      assert.deepEqual(processesWithMarkers(new Set([marker]), 0, cache).get(marker), [second.pid]);
    } finally {
      first.kill("SIGKILL");
      second?.kill("SIGKILL");
    }
  });

  it("is cleared when the pid counter wrapped, when it is too old, and drops pids no longer alive", () => {
    const cache = new MarkerCache(60_000);
    cache.begin(new Set([5]), 100);
    cache.set(5, "m");
    cache.begin(new Set([5]), 120);
    assert.equal(cache.get(5), "m", "kept while the counter only went up");
    cache.begin(new Set([5]), 50);
    assert.equal(cache.get(5), undefined, "a wrapped counter may have handed pid 5 out again");
    cache.set(5, "m");
    cache.begin(new Set([6]), 60);
    assert.equal(cache.get(5), undefined, "pid 5 died");
    const stale = new MarkerCache(0);
    stale.begin(new Set([5]), 100);
    stale.set(5, "m");
    stale.begin(new Set([5]), 100);
    assert.equal(stale.get(5), undefined, "too old");
  });

  it("keeps other owners' markers as none, and a TreeKiller with a prefix still finds its own", async () => {
    const cache = new MarkerCache(60_000, "ours.");
    cache.begin(new Set([5, 6]), 100);
    cache.set(5, "ours.1");
    cache.set(6, "theirs.1");
    assert.equal(cache.get(5), "ours.1");
    assert.equal(cache.get(6), "", "another rigd's marker is not kept");

    const prefix = `test-prefix-${process.pid}-${Date.now()}.`;
    const child = spawn("sleep", ["30"], { env: { ...process.env, [TREE_MARKER_VAR]: `${prefix}a` }, stdio: "ignore" });
    try {
      await once(child, "spawn");
      const killer = new TreeKiller(prefix);
      killer.warm(0); // fills the cache with every process, this one among them
      await new Promise((r) => setImmediate(r));
      await killer.kill(`${prefix}a`, child.pid!);
      await waitGone(child.pid!);
    } finally {
      child.kill("SIGKILL");
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
