/**
 * `rig.up(ctx, ...)` under a real vitest (3.x, whose test context is a function): fixture
 * test files are written to a scratch dir and run with `vitest run`, against a real rigd
 * in a private RIG_DIR. A passing test tears down clean; a failing one records
 * test_failed, puts the assertion (message and file:line) in the log as a test.note and
 * prints the log path; a test that times out while the environment starts abandons it
 * (destroyed, its process gone); jest-style teardown with afterEach / onTestFailed works.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectRigd } from "../daemon/auto-start.js";
import { rig } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir, processesWithArgs } from "../testing/isolated-rig-dir.js";

const sdk = new URL("../index.js", import.meta.url).href;
const httpFuncModule = new URL("../test-fixtures/http-func.js", import.meta.url).href;
const vitestBin = join(createRequire(import.meta.url).resolve("vitest/package.json"), "..", "vitest.mjs");
/** Marks the never-ready process of the timeout test, to find it by its arguments. */
const marker = `rig-vitest-never-ready-${process.pid}`;

const fixtureTests = `
import { writeFileSync } from "node:fs";
import { rig } from ${JSON.stringify(sdk)};
import { httpFunc } from ${JSON.stringify(httpFuncModule)};

const out = (name, id) => writeFileSync(process.env.RIG_FIXTURE_OUT + "/" + name + ".id", id);

test("passes", { timeout: 60000 }, async (ctx) => {
  const env = await rig.up(ctx, { ping: httpFunc("pong") });
  out("passes", env.id);
  expect(await (await fetch(env.url("ping"))).text()).toBe("pong");
});

test("fails", { timeout: 60000 }, async (ctx) => {
  const env = await rig.up(ctx, { ping: httpFunc("pong") });
  out("fails", env.id);
  expect(await (await fetch(env.url("ping"))).text()).toBe("ping"); // FAILING-LINE
});

test("times out while starting", { timeout: 1500 }, async (ctx) => {
  await rig.up(ctx, {
    slow: rig.process(process.execPath, "-e", "setTimeout(() => {}, 120000)", ${JSON.stringify(marker)}).ingress("default", { protocol: "http" }),
  });
});

describe("jest-style", () => {
  let env;
  // As the README says: vitest runs afterEach (then onTestFinished, then onTestFailed)
  // with the task's result already set, so teardown reads the failure from there.
  afterEach(async ({ task }) => {
    await env?.down({ testFailed: task.result?.state === "fail" });
  });

  test("teardown in afterEach, failure from the task", { timeout: 60000 }, async () => {
    env = await rig.up({ ping: httpFunc("pong") }, { name: "jest-style" });
    out("jest-style", env.id);
    expect(1 + 1).toBe(3);
  });

  test("teardown in onTestFinished, failure from the task", { timeout: 60000 }, async ({ task }) => {
    const scoped = await rig.up({ ping: httpFunc("pong") }, { name: "on-test-finished" });
    out("on-test-finished", scoped.id);
    onTestFinished(() => scoped.down({ testFailed: task.result?.state === "fail" }));
    expect("down").toBe("up");
  });
});
`;

let rigDir: IsolatedRigDir;
let scratch: string;
let run: { code: number | null; output: string; results: VitestResults };

interface VitestResults {
  readonly testResults: ReadonlyArray<{
    readonly assertionResults: ReadonlyArray<{ readonly title: string; readonly status: string; readonly failureMessages: string[] }>;
  }>;
}

before(async () => {
  rigDir = await isolatedRigDir();
  scratch = await mkdtemp(join(tmpdir(), "rig-vitest-"));
  // rigd is started here so the fixtures' timings are the environments', not rigd's start.
  await (await rig.up({ warm: httpFunc() })).down();
  await writeFile(join(scratch, "fixture.test.mjs"), fixtureTests);
  run = await runVitest(scratch);
});

after(async () => {
  await rigDir.dispose();
  await rm(scratch, { recursive: true, force: true });
});

function runVitest(root: string): Promise<typeof run> {
  const resultFile = join(root, "results.json");
  const child = spawn(
    process.execPath,
    [vitestBin, "run", "--root", root, "--globals", "--reporter=default", "--reporter=json", `--outputFile.json=${resultFile}`],
    { cwd: root, env: { ...process.env, RIG_FIXTURE_OUT: root, CI: "1", NODE_TEST_CONTEXT: undefined }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => {
      if (!existsSync(resultFile)) return reject(new Error(`vitest wrote no results (exit ${code}):\n${output}`));
      resolve({ code, output, results: JSON.parse(readFileSync(resultFile, "utf8")) as VitestResults });
    });
  });
}

function status(title: string): string | undefined {
  return run.results.testResults.flatMap((f) => f.assertionResults).find((a) => a.title === title)?.status;
}

function eventsOf(environmentId: string): Array<Record<string, any>> {
  return readFileSync(join(rigDir.dir, "logs", environmentId, "events.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));
}

const idOf = (name: string): string => readFileSync(join(scratch, `${name}.id`), "utf8");

test("vitest ran the fixtures: one pass, four failures", () => {
  assert.equal(run.code, 1, run.output);
  assert.equal(status("passes"), "passed", run.output);
  assert.equal(status("fails"), "failed", run.output);
  assert.equal(status("times out while starting"), "failed", run.output);
  assert.equal(status("teardown in afterEach, failure from the task"), "failed", run.output);
  assert.equal(status("teardown in onTestFinished, failure from the task"), "failed", run.output);
});

test("a passing vitest test: torn down in onTestFinished, no failure recorded", () => {
  const events = eventsOf(idOf("passes"));
  assert.equal(events.find((e) => e.type === "environment.destroying")?.environmentDestroying?.testFailed, undefined);
  assert.equal(events.find((e) => e.type === "environment.down")?.environmentDown?.reason, "DOWN_REASON_DESTROYED");
  assert.ok(!events.some((e) => e.type === "test.note"));
});

test("a failing vitest test: test_failed recorded, the assertion with file:line noted, the log path printed", () => {
  const id = idOf("fails");
  const events = eventsOf(id);
  const types = events.map((e) => e.type);
  assert.equal(events.find((e) => e.type === "environment.destroying")?.environmentDestroying?.testFailed, true);
  const note = events.find((e) => e.type === "test.note");
  assert.ok(note, types.join(" "));
  assert.equal(note.testNote.level, "error");
  const failingLine = fixtureTests.split("\n").findIndex((line) => line.includes("FAILING-LINE")) + 1;
  assert.match(note.testNote.message, new RegExp(`^fixture\\.test\\.mjs:${failingLine}: .*expected 'pong' to be 'ping'`));
  assert.ok(types.indexOf("test.note") < types.indexOf("environment.destroying"), "noted before teardown");
  const logPath = join(rigDir.dir, "logs", id, "rig.log");
  assert.match(readFileSync(logPath, "utf8"), /expected 'pong' to be 'ping'/);
  assert.ok(run.output.includes(`rig: log of environment ${id}: ${logPath}`), run.output);
});

test("a vitest test that times out while the environment starts: startup abandoned, environment destroyed", async () => {
  const id = readdirSync(join(rigDir.dir, "logs")).find((dir) => dir.startsWith("times-out-while-starting"));
  assert.ok(id, "the environment was created");
  const events = eventsOf(id);
  assert.ok(!events.some((e) => e.type === "environment.up"));
  assert.equal(events.find((e) => e.type === "environment.down")?.environmentDown?.reason, "DOWN_REASON_DESTROYED");
  const api = await connectRigd();
  const live = (await api.environments.listEnvironments({})).environments.map((e) => e.id);
  assert.ok(!live.includes(id), `still listed: ${live.join(", ")}`);
  const deadline = Date.now() + 10_000;
  while (processesWithArgs([marker]).length > 0 && Date.now() < deadline) await sleep(50);
  assert.deepEqual(processesWithArgs([marker]), [], "the never-ready process is gone");
});

test("jest-style in vitest: afterEach or onTestFinished tears down, the task's state marks the failure", () => {
  for (const name of ["jest-style", "on-test-finished"]) {
    const events = eventsOf(idOf(name));
    assert.equal(events.find((e) => e.type === "environment.destroying")?.environmentDestroying?.testFailed, true, name);
    assert.equal(events.find((e) => e.type === "environment.down")?.environmentDown?.reason, "DOWN_REASON_DESTROYED", name);
  }
});
