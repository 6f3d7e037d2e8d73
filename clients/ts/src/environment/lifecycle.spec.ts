/**
 * Environment lifecycle through the SDK against a real rigd: `await using` tears down at
 * scope exit; `rig.up(t, ...)` tears down in `t.after`, also when the test failed, and
 * the log records test_failed; events() and note() show the run.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { rig } from "../index.js";
import type { Event, StoppedEnvironment } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import { fixture, runNode } from "../test-fixtures/run-node.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

/** A Node HTTP server as a process service. */
const httpProcess = (): ReturnType<typeof rig.process> =>
  rig
    .process(process.execPath, "-e", "require('http').createServer((q, s) => s.end('proc')).listen(+process.env.PORT, process.env.HOST)")
    .ingress("default", { protocol: "http" });

function refuses(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", () => resolve(true));
  });
}

/** The events of a finished environment, from its JSON-lines log. */
function loggedEvents(stopped: Pick<StoppedEnvironment, "eventLogPath">): Array<Record<string, any>> {
  return readFileSync(stopped.eventLogPath, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

test("await using tears the environment down at scope exit", async () => {
  let stopped = false;
  let port: number;
  let env;
  {
    await using scoped = await rig.up({ web: httpProcess(), ping: httpFunc("pong", { onStop: () => (stopped = true) }) });
    env = scoped;
    port = scoped.endpoint("web").port;
    assert.equal(await (await fetch(scoped.url("web"))).text(), "proc");
    assert.equal(await (await fetch(scoped.url("ping"))).text(), "pong");
    assert.equal(stopped, false);
  }
  assert.equal(stopped, true, "the func's cleanup ran");
  assert.equal(await refuses(port), true, "the process no longer listens");
  const down = await env.down(); // idempotent: the same result again
  assert.equal(down.reason, "destroyed");
  assert.equal(down.testFailed, false);
});

test("t.after cleanup runs when the test failed, and the log records test_failed", async () => {
  const out = `${rigDir.dir}/fixture-failed.id`;
  const run = await runNode(fixture("test-after.js"), { RIG_FIXTURE_OUT: out, RIG_FIXTURE_FAIL: "1" });
  assert.equal(run.code, 1, "the fixture test failed");
  assert.match(run.stdout, /deliberate failure/);
  assert.match(run.stdout, /rig: log of environment .+: .+rig\.log/, "the log path is reported as a diagnostic");
  // The failed test explains itself: rigd's diagnosis (what `rig explain` prints) follows.
  assert.match(run.stdout, /rig explain:\n(?:# )?fixture-test {2}\S+\n(?:# )?outcome {3}failed \(destroyed, test failed\)/, run.stdout);
  const events = loggedEventsOf(readFileSync(out, "utf8"));
  const destroying = events.find((e) => e.type === "environment.destroying");
  assert.equal(destroying?.environmentDestroying?.testFailed, true);
  const down = events.find((e) => e.type === "environment.down");
  assert.equal(down?.environmentDown?.testFailed, true);
  assert.equal(down?.environmentDown?.reason, "DOWN_REASON_DESTROYED");
});

test("t.after cleanup of a passing test records no failure", async () => {
  const out = `${rigDir.dir}/fixture-passed.id`;
  const run = await runNode(fixture("test-after.js"), { RIG_FIXTURE_OUT: out });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  const events = loggedEventsOf(readFileSync(out, "utf8"));
  assert.equal(events.find((e) => e.type === "environment.destroying")?.environmentDestroying?.testFailed, undefined);
  assert.ok(events.some((e) => e.type === "environment.down"));
});

test("rig.up(t, ...) in this test: endpoints, events and notes", async (t) => {
  const env = await rig.up(t, { web: httpProcess(), ping: httpFunc().egress("web") });
  assert.equal(env.name, "rig-up-t-in-this-test-endpoints-events-a");
  assert.deepEqual(env.services, ["web", "ping"]);
  assert.equal(env.endpoint("web").protocol, "http");
  assert.throws(() => env.endpoint("web", "metrics"), /service "web" has no ingress "metrics"; it has default/);
  assert.throws(() => env.endpoint("nope" as "web"), /no endpoints for service "nope"/);

  await env.note("checked the endpoints", "warn");
  const seen: Event[] = [];
  for await (const event of env.events()) {
    seen.push(event);
    if (event.type === "test.note") break;
  }
  const types = seen.map((e) => e.type);
  assert.equal(types[0], "environment.created");
  assert.ok(types.indexOf("service.ready") < types.indexOf("environment.up"));
  const note = seen.at(-1);
  assert.equal(note?.payload.case, "testNote");
  assert.deepEqual(
    note?.payload.case === "testNote" ? [note.payload.value.message, note.payload.value.level] : [],
    ["checked the endpoints", "warn"],
  );
  // What `rig explain` would say now: still running, with the note and the phases.
  const explained = await env.explain();
  assert.match(explained, /^rig-up-t-in-this-test-endpoints-events-a {2}\S+\noutcome {3}unfinished/);
  assert.match(explained, /warn: checked the endpoints/);
  assert.match(explained, /\n {2}ping +\d/);
});

function loggedEventsOf(environmentId: string): Array<Record<string, any>> {
  return loggedEvents({ eventLogPath: `${rigDir.dir}/logs/${environmentId}/events.jsonl` });
}
