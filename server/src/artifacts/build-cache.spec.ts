/**
 * BuildCache on a real directory: concurrent requests for a hash share one build; an
 * entry found on disk (another rigd's) is used without building; a failed build leaves
 * no entry and no temp dir, and the next request builds again; temp dirs of a rigd that
 * died mid-build are swept once stale, fresh ones (a build in progress elsewhere) are not.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BuildCache, STALE_BUILD_MS } from "./build-cache.js";

const root = mkdtempSync(join(tmpdir(), "rig-build-cache-spec-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("BuildCache", () => {
  it("builds a hash once for concurrent requests and finds it on disk afterwards", async () => {
    const cache = new BuildCache(join(root, "a"));
    let builds = 0;
    const build = async (dir: string): Promise<void> => {
      builds++;
      await new Promise((r) => setTimeout(r, 50));
      writeFileSync(join(dir, "out"), "built");
    };
    const results = await Promise.all([cache.get("h1", build), cache.get("h1", build), cache.get("h1", build)]);
    assert.equal(builds, 1);
    assert.deepEqual(results.map((r) => r.cached).sort(), [false, true, true]);
    assert.equal(readFileSync(join(results[0]?.dir ?? "", "out"), "utf8"), "built");
    const again = await new BuildCache(join(root, "a")).get("h1", build);
    assert.deepEqual([again.cached, builds], [true, 1], "another cache on the same dir (another rigd) uses the entry");
  });

  it("keeps nothing of a failed build and builds again next time", async () => {
    const cache = new BuildCache(join(root, "b"));
    await assert.rejects(cache.get("h2", async () => Promise.reject(new Error("compile error"))), /compile error/);
    assert.deepEqual(readdirSync(join(root, "b")), []);
    const ok = await cache.get("h2", async (dir) => writeFileSync(join(dir, "out"), "x"));
    assert.equal(ok.cached, false);
  });

  it("sweeps stale temp dirs of dead builds, not fresh ones", async () => {
    const dir = join(root, "c");
    mkdirSync(join(dir, ".building-old-1"), { recursive: true });
    mkdirSync(join(dir, ".building-new-1"), { recursive: true });
    const old = (Date.now() - STALE_BUILD_MS - 60_000) / 1000;
    utimesSync(join(dir, ".building-old-1"), old, old);
    await new BuildCache(dir).get("h3", async () => {});
    assert.equal(existsSync(join(dir, ".building-old-1")), false);
    assert.equal(existsSync(join(dir, ".building-new-1")), true);
  });
});
