// A test that creates a rig environment through the TS SDK: rigd links it to the run.
import assert from "node:assert/strict";
import { test } from "node:test";
import { rig } from "@rig/client";

test("uses an environment", async (t) => {
  const env = await rig.up(t, { worker: rig.process("sleep", "300").noIngress() });
  assert.ok(env.id);
});
