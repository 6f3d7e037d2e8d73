/**
 * rig.up's progress lines: nothing for a quick startup, then one line per change of what
 * it waits for, none after it is over, and none at all with RIG_QUIET.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import {
  ArtifactCompletedSchema,
  ArtifactProgressSchema,
  ArtifactStartedSchema,
  EventSchema,
  type Event,
  ServiceHealthySchema,
  ServiceInitSchema,
  ServiceLogSchema,
  ServicePrestartSchema,
  ServiceReadySchema,
  ServiceStartingSchema,
} from "../gen/rig/v1/event_pb.js";
import { fixture, runNode } from "../test-fixtures/run-node.js";
import { isolatedRigDir, type IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { UpProgress } from "./up-progress.js";

const ev = (service: string, payload: Event["payload"]): Event => create(EventSchema, { service, payload });
const starting = (s: string) => ev(s, { case: "serviceStarting", value: create(ServiceStartingSchema, { pid: 1 }) });
const ready = (s: string) => ev(s, { case: "serviceReady", value: create(ServiceReadySchema) });

function recorder(options: { delayMs?: number; quiet?: boolean; throttleMs?: number } = {}) {
  const lines: string[] = [];
  const progress = new UpProgress("orders", { delayMs: 30, throttleMs: 0, ...options, write: (l) => lines.push(l) });
  return { lines, progress, text: () => lines.map((l) => l.replace(/\[\d+\.\ds\]/, "[T]")).join("") };
}

test("a startup quicker than the delay prints nothing", async () => {
  const r = recorder();
  r.progress.observe(starting("api"));
  r.progress.observe(ready("api"));
  r.progress.stop();
  await sleep(60);
  assert.deepEqual(r.lines, []);
});

test("past the delay: what it waits for, one line per change, nothing after stop", async () => {
  const r = recorder();
  await sleep(60);
  r.progress.observe(ev("", { case: "artifactStarted", value: create(ArtifactStartedSchema, { key: "img", description: "pull postgres:16" }) }));
  r.progress.observe(ev("db", { case: "servicePrestart", value: create(ServicePrestartSchema, { hooks: 1 }) }));
  r.progress.observe(ev("", { case: "artifactCompleted", value: create(ArtifactCompletedSchema, { key: "img" }) }));
  r.progress.observe(starting("db"));
  r.progress.observe(starting("api"));
  r.progress.observe(ev("api", { case: "serviceLog", value: create(ServiceLogSchema, { line: "listening" }) })); // no change
  r.progress.observe(ev("db", { case: "serviceHealthy", value: create(ServiceHealthySchema) }));
  r.progress.observe(ev("db", { case: "serviceInit", value: create(ServiceInitSchema, { hooks: 1 }) }));
  r.progress.observe(ready("db"));
  r.progress.observe(ready("api"));
  r.progress.stop();
  r.progress.observe(starting("late"));
  assert.equal(
    r.text(),
    [
      "rig: orders [T] waiting for rigd",
      "rig: orders [T] waiting for artifact pull postgres:16",
      "rig: orders [T] waiting for artifact pull postgres:16, db (prestart hooks)",
      "rig: orders [T] waiting for db (prestart hooks)",
      "rig: orders [T] waiting for db (starting, not yet ready)",
      "rig: orders [T] waiting for api (starting, not yet ready), db (starting, not yet ready)",
      "rig: orders [T] waiting for api (starting, not yet ready), db (healthy, not yet ready)",
      "rig: orders [T] waiting for api (starting, not yet ready), db (init hooks)",
      "rig: orders [T] waiting for api (starting, not yet ready)",
      "rig: orders [T] waiting for services to start",
      "",
    ].join("\n"),
  );
});

test("an artifact's latest progress line (a pull's bytes, a build step) shows beside it", async () => {
  const r = recorder();
  await sleep(60);
  const progress = (key: string, line: string) => ev("", { case: "artifactProgress", value: create(ArtifactProgressSchema, { key, line }) });
  r.progress.observe(ev("", { case: "artifactStarted", value: create(ArtifactStartedSchema, { key: "img", description: "image postgres:16" }) }));
  r.progress.observe(progress("img", "pulling postgres:16:latest: 12.4 of 80.1 MiB, 3 of 9 layers done"));
  r.progress.observe(progress("img", "pulling postgres:16:latest: 80.1 of 80.1 MiB, 9 of 9 layers done"));
  r.progress.observe(progress("other", "a line of an artifact this environment does not wait for"));
  r.progress.observe(ev("", { case: "artifactCompleted", value: create(ArtifactCompletedSchema, { key: "img" }) }));
  r.progress.stop();
  assert.equal(
    r.text(),
    [
      "rig: orders [T] waiting for rigd",
      "rig: orders [T] waiting for artifact image postgres:16",
      "rig: orders [T] waiting for artifact image postgres:16 (pulling postgres:16:latest: 12.4 of 80.1 MiB, 3 of 9 layers done)",
      "rig: orders [T] waiting for artifact image postgres:16 (pulling postgres:16:latest: 80.1 of 80.1 MiB, 9 of 9 layers done)",
      "rig: orders [T] waiting for services to start",
      "",
    ].join("\n"),
  );
});

test("the first line comes when the delay ends, with the state by then", async () => {
  const r = recorder({ delayMs: 40 });
  r.progress.observe(starting("api"));
  assert.deepEqual(r.lines, []);
  await sleep(80);
  assert.equal(r.text(), "rig: orders [T] waiting for api (starting, not yet ready)\n");
  r.progress.stop();
});

test("a burst of changes makes one line, with where it ended; rig's own ~services are left out", async () => {
  const r = recorder({ delayMs: 10, throttleMs: 40 });
  await sleep(30);
  r.progress.observe(starting("db"));
  r.progress.observe(ev("db", { case: "serviceHealthy", value: create(ServiceHealthySchema) }));
  r.progress.observe(ready("db"));
  r.progress.observe(starting("~proxy.~test.api.default"));
  r.progress.observe(starting("api"));
  await sleep(80);
  r.progress.stop();
  assert.equal(r.text(), "rig: orders [T] waiting for rigd\nrig: orders [T] waiting for api (starting, not yet ready)\n");
});

test("RIG_QUIET (or quiet) silences it", async () => {
  const r = recorder({ quiet: true });
  r.progress.observe(starting("api"));
  await sleep(60);
  r.progress.observe(starting("db"));
  assert.deepEqual(r.lines, []);
  const saved = process.env["RIG_QUIET"];
  process.env["RIG_QUIET"] = "1";
  try {
    const lines: string[] = [];
    const p = new UpProgress("x", { delayMs: 1, write: (l) => lines.push(l) });
    await sleep(20);
    p.observe(starting("api"));
    assert.deepEqual(lines, []);
  } finally {
    if (saved === undefined) delete process.env["RIG_QUIET"];
    else process.env["RIG_QUIET"] = saved;
  }
});

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir("rig-sdk-progress-");
});
after(() => rigDir.dispose());

test("rig.up of a service that takes 3 s says on stderr what it waits for; RIG_QUIET says nothing", async () => {
  const loud = await runNode(fixture("slow-up.js"), { RIG_DIR: rigDir.dir }, 60_000);
  assert.match(loud.stdout, /^up slow-up-/m, loud.stderr);
  const lines = loud.stderr.split("\n").filter((l) => l.startsWith("rig: slow-up ["));
  assert.ok(lines.length >= 1, loud.stderr);
  assert.match(lines[0] ?? "", /^rig: slow-up \[2\.\d+s\] waiting for slow \(starting, not yet ready\)$/, loud.stderr);
  assert.equal(new Set(lines.map((l) => l.replace(/\[.*?\]/, ""))).size, lines.length, "one line per change");

  const quiet = await runNode(fixture("slow-up.js"), { RIG_DIR: rigDir.dir, RIG_QUIET: "1" }, 60_000);
  assert.match(quiet.stdout, /^up slow-up-/m, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /waiting for/);
});
