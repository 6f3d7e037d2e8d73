/**
 * A node:test file run as a child by the events tests: it reads one event from
 * `env.events()` and abandons the iteration. RIG_FIXTURE_MODE=fail: the test then fails
 * (teardown in t.after must end the iteration); "script": no test, no down() at all (the
 * open iteration must not keep the process alive). Writes the environment id to
 * RIG_FIXTURE_OUT.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { test } from "node:test";
import { rig } from "../index.js";
import { httpFunc } from "./http-func.js";

if (process.env.RIG_FIXTURE_MODE === "script") {
  // A process service: a func's server would keep the script alive by itself.
  const web = rig
    .process(process.execPath, "-e", "require('http').createServer((q, s) => s.end('up')).listen(+process.env.PORT, process.env.HOST)")
    .ingress("default", { protocol: "http" });
  const env = await rig.up({ web }, { name: "abandoned-script" });
  writeFileSync(process.env.RIG_FIXTURE_OUT as string, env.id);
  const events = env.events()[Symbol.asyncIterator]();
  await events.next();
} else {
  test("reads one event, then fails", async (t) => {
    const env = await rig.up(t, { ping: httpFunc("pong") });
    writeFileSync(process.env.RIG_FIXTURE_OUT as string, env.id);
    const events = env.events()[Symbol.asyncIterator]();
    const first = await events.next();
    assert.equal(first.value?.type, "environment.created");
    assert.fail("deliberate failure after reading one event");
  });
}
