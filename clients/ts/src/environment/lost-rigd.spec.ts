/**
 * A test whose rigd dies hears about it at once, not at teardown: the SDK says on stderr
 * that rigd is gone and that the environment's services went with it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { fixture, runNode } from "../test-fixtures/run-node.js";
import { isolatedRigDir, type IsolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir("rig-sdk-lost-");
});
after(() => rigDir.dispose());

test("when rigd dies under a live environment, the SDK says so at once", async () => {
  const run = await runNode(fixture("lost-rigd.js"), { RIG_DIR: rigDir.dir }, 30_000);
  assert.equal(run.timedOut, false, run.stdout + run.stderr);
  assert.match(run.stdout, /^up lost-rigd-/m, run.stderr);
  assert.match(run.stderr, /rig: lost rigd while environment lost-rigd \(lost-rigd-[0-9a-f]+\) was up: .*; its services are stopped with rigd/);
});
