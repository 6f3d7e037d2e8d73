import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { contentHash, listBuildContext, type BuildInputs } from "./build-context.js";

const inputs: BuildInputs = { dockerfile: "Dockerfile", args: { A: "1" }, target: "" };

describe("build context", () => {
  const root = mkdtempSync(join(tmpdir(), "rig-build-context-"));
  after(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, "Dockerfile"), "FROM scratch\n");
  writeFileSync(join(root, "app.txt"), "v1\n");
  mkdirSync(join(root, "node_modules", "dep"), { recursive: true });
  writeFileSync(join(root, "node_modules", "dep", "index.js"), "x\n");
  writeFileSync(join(root, ".dockerignore"), "# deps\nnode_modules\n*.log\n");
  writeFileSync(join(root, "debug.log"), "noise\n");

  it("lists what the engine gets: .dockerignore applied, ignored directories not walked", () => {
    assert.deepEqual(listBuildContext(root, inputs).files, [".dockerignore", "Dockerfile", "app.txt"]);
  });

  it("a touch changes the fingerprint but not the content hash; an edit, an arg or an ignored file as expected", async () => {
    const before = listBuildContext(root, inputs);
    const hash = await contentHash(before, inputs);
    utimesSync(join(root, "app.txt"), new Date(), new Date(Date.now() + 5_000));
    const touched = listBuildContext(root, inputs);
    assert.notEqual(touched.fingerprint, before.fingerprint);
    assert.equal(await contentHash(touched, inputs), hash);

    writeFileSync(join(root, "debug.log"), "more noise\n");
    assert.equal(listBuildContext(root, inputs).fingerprint, touched.fingerprint, "ignored files do not count");
    const withArg = { ...inputs, args: { A: "2" } };
    assert.notEqual(await contentHash(listBuildContext(root, withArg), withArg), hash);
    writeFileSync(join(root, "app.txt"), "v2\n");
    assert.notEqual(await contentHash(listBuildContext(root, inputs), inputs), hash);
  });

  it("says what is wrong with a missing context or Dockerfile", () => {
    assert.throws(() => listBuildContext(join(root, "nope"), inputs), /build context .*nope does not exist/);
    assert.throws(() => listBuildContext(root, { ...inputs, dockerfile: "Other.Dockerfile" }), /has no Other\.Dockerfile/);
  });
});
