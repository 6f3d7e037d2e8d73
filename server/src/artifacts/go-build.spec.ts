/**
 * GoBuilder's remote builds with the real Go toolchain and module proxy: a pinned
 * `module/cmd@version` (grpcurl, which setup installs the same way, so its modules are
 * at hand) is built with `go install` into the cache, runs, and the second request finds
 * it without building. Local builds are proven through rigd in ../services/go.spec.ts.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { after, describe, it } from "node:test";
import { GoBuilder, localReplaceDirs } from "./go-build.js";

const cache = mkdtempSync(join(tmpdir(), "rig-go-build-spec-"));
after(() => rmSync(cache, { recursive: true, force: true }));

describe("GoBuilder", () => {
  it("installs a remote package at a pinned version into the cache, once", async () => {
    const builder = new GoBuilder(cache);
    const request = { pkg: "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3", dir: "/", flags: [], env: process.env };
    const first = await builder.build(request);
    assert.equal(first.cached, false);
    assert.equal(basename(first.binary), "grpcurl");
    assert.ok(first.binary.startsWith(join(cache, "go", first.hash)));
    const ran = spawnSync(first.binary, ["-version"], { encoding: "utf8" });
    assert.equal(ran.status, 0);
    assert.match(ran.stdout + ran.stderr, /grpcurl/);
    const second = await new GoBuilder(cache).build(request);
    assert.deepEqual([second.cached, second.binary], [true, first.binary]);
  });

  it("reads local replace directives as inputs of the hash", () => {
    const goMod = "module a\n\nreplace example.com/b => ../b\nreplace example.com/c v1.0.0 => example.com/c2 v1.1.0\nreplace (\n\texample.com/d => ./vendor/d\n)\n";
    assert.deepEqual(localReplaceDirs(goMod, "/src/a"), ["/src/b", "/src/a/vendor/d"]);
  });
});
