/**
 * A node:test file run as a child by the lifecycle tests: `rig.up(t, ...)` with cleanup
 * left to `t.after`. It writes the environment id to RIG_FIXTURE_OUT and fails on
 * purpose when RIG_FIXTURE_FAIL=1.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { rig } from "../index.js";
import { httpFunc } from "./http-func.js";

test("fixture test", async (t) => {
  const env = await rig.up(t, { ping: httpFunc("pong") });
  writeFileSync(process.env.RIG_FIXTURE_OUT as string, env.id);
  assert.equal(await (await fetch(env.url("ping"))).text(), "pong");
  if (process.env.RIG_FIXTURE_FAIL === "1") assert.fail("deliberate failure");
});
