/**
 * A node:test file run as a child by the assertion-note tests: an assertion inside
 * `env.check(...)` fails, so its message and file:line become a test.note. Writes the
 * environment id to RIG_FIXTURE_OUT.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { rig } from "../index.js";
import { httpFunc } from "./http-func.js";

test("an assertion in env.check fails", async (t) => {
  const env = await rig.up(t, { ping: httpFunc("pong") });
  writeFileSync(process.env.RIG_FIXTURE_OUT as string, env.id);
  const body = await env.check(async () => (await fetch(env.url("ping"))).text());
  await env.check(() => {
    assert.equal(body, "ping"); // FAILING-LINE
  });
});
