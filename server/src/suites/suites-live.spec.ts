/**
 * Suites for real: a rigd process with a suites file runs real node:test (JUnit and TAP),
 * go test -json and pytest suites (passing, failing, flaky by design, skipped), on demand
 * (API and `rig run`) and on a schedule; retries, flaky detection, idempotency, provoke
 * mode, environments linked through the TS and Python SDKs' labels, a hanging suite
 * killed at its timeout with everything it started gone, `/metrics` parsed by a
 * Prometheus text parser with counters matching the history, and history surviving a
 * rigd restart.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { create } from "@bufbuild/protobuf";
import { EnvironmentState } from "../gen/rig/v1/environment_service_pb.js";
import { AcquireRequestSchema, LockMode, LockService, type AcquireRequest } from "../gen/rig/v1/lock_service_pb.js";
import { RequestQueue } from "../testing/fixtures/request-queue.js";
import { RunStatus, RunTrigger, SuiteService, TestResult, type Run } from "../gen/rig/v1/suite_service_pb.js";
import { bearer, collectEvents, eventually, FIXTURES, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..", "..");
const testdata = join(repo, "server", "src", "suites", "testdata");
const python = process.env.RIG_TEST_PYTHON ?? join(repo, ".tools", "venv", "bin", "python");

let work: string;
let rigd: Rigd;
/** The webhook receiver: every JSON body POSTed to it. */
let hookServer: Server;
const hookBodies: { event: string; run: { id: string; status: string } }[] = [];
let suites: Client<typeof SuiteService>;
const hangMarker = `rig-suite-hang-${process.pid}`;

function connect(r: Rigd): Client<typeof SuiteService> {
  return createClient(SuiteService, createGrpcTransport({ baseUrl: `http://${r.address}`, interceptors: [bearer(r.token)] }));
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), "rig-suites-"));
  hookServer = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      hookBodies.push(JSON.parse(body) as (typeof hookBodies)[number]);
      res.end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, "127.0.0.1", r));
  const hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/hook`;
  // The fixtures run where they are (node resolves @rig/client from the repository); what
  // they write (flaky counters) goes to the temp dir.
  const counter = (name: string) => ({ FLAKY_COUNTER: join(work, `${name}.count`) });
  const junitNode = 'node --test --test-reporter=junit --test-reporter-destination="$RIG_SUITE_REPORT"';
  writeFileSync(
    join(work, "rig.suites.json"),
    JSON.stringify({
      suites: [
        { name: "node", namespace: "web", dir: join(testdata, "node"), command: `${junitNode} basic.test.mjs environment.test.mjs`, maxAttempts: 2, env: counter("node"), timeout: "60s" },
        { name: "node-tap", namespace: "web", dir: join(testdata, "node"), command: "node --test --test-reporter=tap basic.test.mjs", maxAttempts: 2, env: counter("node-tap") },
        { name: "go", namespace: "api", dir: join(testdata, "go"), command: "go test -json -count=1 .", maxAttempts: 3, env: counter("go"), timeout: "120s" },
        {
          name: "python",
          namespace: "api",
          dir: join(testdata, "python"),
          command: `${python} -m pytest -q -p no:cacheprovider --junitxml="$RIG_SUITE_REPORT" test_suite.py`,
          maxAttempts: 2,
          env: { ...counter("python"), PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: `${join(repo, "clients/python/src")}:${join(repo, "clients/python/gen")}` },
        },
        { name: "hang", dir: join(testdata, "node"), command: "node --test hang.test.mjs", timeout: "8s", env: { HANG_MARKER: hangMarker } },
        // For cancel and shutdown: a timeout they never race with on a slow machine.
        { name: "hang-long", dir: join(testdata, "node"), command: "node --test hang.test.mjs", timeout: "5m", env: { HANG_MARKER: hangMarker } },
      ],
      history: { keepDays: 30, keepRunsPerSuite: 100 },
      webhooks: [{ url: hookUrl, events: ["run.finished"] }],
    }),
  );
  rigd = await startRigd(["--suites", join(work, "rig.suites.json"), "--idle", "0"]);
  suites = connect(rigd);
});

after(async () => {
  await rigd?.stop();
  hookServer?.close();
  rmSync(work, { recursive: true, force: true });
});

/** Waits for a run to finish through WatchRun; returns the messages seen and the run. */
async function watchToEnd(client: Client<typeof SuiteService>, runId: string): Promise<{ kinds: string[]; run: Run }> {
  const kinds: string[] = [];
  let finished: Run | undefined;
  for await (const msg of client.watchRun({ runId })) {
    kinds.push(msg.event.case ?? "");
    if (msg.event.case === "finished") finished = msg.event.value;
  }
  assert.ok(finished, `WatchRun of ${runId} ended with a finished run`);
  return { kinds, run: finished };
}

const byName = (run: Run) => new Map(run.tests.map((t) => [t.name, t]));

/** The rig CLI against this rigd. */
function rigCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(process.execPath, [join(repo, "server", "dist", "cli", "rig.js"), ...args], {
      env: { ...process.env, RIG_SERVER: rigd.address, RIG_TOKEN: rigd.token, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("close", (code) => resolveRun({ code, stdout, stderr }));
  });
}

describe("suites on a real rigd", () => {
  it("refuses to start with a bad suites file, saying where and what", async () => {
    const bad = join(work, "bad.suites.json");
    writeFileSync(bad, JSON.stringify({ suites: [{ name: "x", dir: ".", command: "true", timeout: "forever" }] }));
    // Its RIG_DIR inside the temp dir: the harness leaves the dir of a rigd that did not start.
    await assert.rejects(startRigd(["--suites", bad], { rigDir: join(work, "bad-rig") }), /rigd exited with 1: rigd: cannot start: .*bad\.suites\.json: suites\[0\]\(x\): timeout: invalid duration "forever"/s);
  });

  it("lists the suites of the suites file, and refuses a bad registration saying what is wrong", async () => {
    const { suites: listed } = await suites.listSuites({});
    assert.deepEqual(listed.map((s) => s.name), ["go", "hang", "hang-long", "node", "node-tap", "python"]);
    assert.equal(listed.find((s) => s.name === "go")?.source, "config");
    const err = await suites
      .registerSuite({ suite: { name: "Bad Name", command: "", dir: "/tmp", schedule: "every tuesday" } })
      .then(() => assert.fail("expected INVALID_ARGUMENT"), (e: unknown) => ConnectError.from(e));
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.rawMessage, /name: "Bad Name" must be/);
    assert.match(err.rawMessage, /command: is empty/);
    assert.match(err.rawMessage, /schedule: "every tuesday" is not a cron expression/);
    const unknown = await suites.startRun({ suite: "nope" }).then(() => assert.fail("expected NOT_FOUND"), (e: unknown) => ConnectError.from(e));
    assert.equal(unknown.code, Code.NotFound);
    assert.match(unknown.rawMessage, /no suite named "nope" \(registered: go, hang, hang-long, node, node-tap, python\)/);
  });

  it("rig run streams a node:test suite (JUnit), retries the failures, detects the flaky test, links the SDK's environment", async () => {
    const { code, stdout } = await rigCli(["run", "node"]);
    assert.equal(code, 1, `rig run exits 1 when a test failed:\n${stdout}`);
    assert.match(stdout, /attempt 2: retrying .*compares.*flaky/s);
    const runId = /run (node-[0-9a-f]+)/.exec(stdout)?.[1];
    assert.ok(runId, stdout);
    const { run } = await suites.getRun({ runId, includeOutput: true });
    assert.ok(run);
    assert.equal(run.status, RunStatus.FAILED);
    assert.equal(run.attempts, 2);
    const tests = byName(run);
    assert.deepEqual([...tests.keys()].sort(), ["adds", "compares", "flaky", "later", "uses an environment"], "the retry's results are its tests only");
    assert.equal(tests.get("adds")?.result, TestResult.PASSED);
    assert.equal(tests.get("compares")?.result, TestResult.FAILED);
    assert.deepEqual(tests.get("compares")?.attempts.map((a) => a.attempt), [1, 2], "the failure was retried");
    assert.match(tests.get("compares")?.attempts[0]?.output ?? "", /a failure by design/);
    assert.equal(tests.get("flaky")?.result, TestResult.PASSED);
    assert.equal(tests.get("flaky")?.flaky, true);
    assert.equal(tests.get("later")?.result, TestResult.SKIPPED);
    assert.deepEqual(tests.get("adds")?.attempts.length, 1, "a passing test is not run again");
    const envTest = tests.get("uses an environment");
    assert.equal(envTest?.result, TestResult.PASSED);
    assert.equal(envTest?.environmentIds.length, 1, "the TS SDK labelled its environment with the run and test");
    assert.deepEqual(run.environmentIds, envTest?.environmentIds);
  });

  it("runs go test -json with an idempotency key, streams progress, and retries until the flaky test passes", async () => {
    const first = await suites.startRun({ suite: "go", idempotencyKey: "deploy-42" });
    const again = await suites.startRun({ suite: "go", idempotencyKey: "deploy-42" });
    assert.equal(again.existing, true);
    assert.equal(again.run?.id, first.run?.id);
    const { kinds, run } = await watchToEnd(suites, first.run!.id);
    assert.equal(kinds[0], "state");
    assert.ok(kinds.includes("attemptStarted") && kinds.includes("testFinished") && kinds.includes("outputLine"));
    assert.equal(run.status, RunStatus.FAILED);
    assert.equal(run.attempts, 3, "TestCompares fails every attempt: max attempts ran");
    const tests = byName(run);
    assert.equal(tests.get("TestAdds")?.result, TestResult.PASSED);
    assert.equal(tests.get("TestCompares")?.result, TestResult.FAILED);
    assert.equal(tests.get("TestFlaky")?.flaky, true);
    assert.equal(tests.get("TestLater")?.result, TestResult.SKIPPED);
    assert.equal(tests.get("TestGroup/inner")?.result, TestResult.PASSED);
  });

  it("runs pytest (JUnit XML) and the TAP reporter, with a filter", async () => {
    const py = await suites.startRun({ suite: "python" });
    const { run } = await watchToEnd(suites, py.run!.id);
    const tests = byName(run);
    assert.equal(tests.get("test_adds")?.result, TestResult.PASSED);
    assert.equal(tests.get("test_compares")?.result, TestResult.FAILED);
    assert.equal(tests.get("test_flaky")?.flaky, true);
    assert.equal(tests.get("test_later")?.result, TestResult.SKIPPED);
    assert.equal(tests.get("test_uses_an_environment")?.environmentIds.length, 1, "the Python SDK labelled its environment with the pytest node id");

    const tap = await suites.startRun({ suite: "node-tap", filter: "^(adds|later)$" });
    const { run: tapRun } = await watchToEnd(suites, tap.run!.id);
    assert.equal(tapRun.status, RunStatus.PASSED);
    assert.equal(tapRun.filter, "^(adds|later)$");
    assert.deepEqual(
      tapRun.tests.map((t) => [t.name, TestResult[t.result]]).sort(),
      [
        ["adds", "PASSED"],
        ["later", "SKIPPED"],
      ],
    );
  });

  it("provoke mode runs a suite again and again; the flaky report ranks the flaky tests", async () => {
    const { run: first } = await suites.startRun({ suite: "node-tap", filter: "^flaky$", provokeRuns: 3 });
    await eventually(async () => (await suites.listRuns({ suite: "node-tap" })).runs.filter((r) => r.provokeOf === first!.id || r.id === first!.id).every((r) => r.finishedAt) &&
      (await suites.listRuns({ suite: "node-tap" })).runs.filter((r) => r.provokeOf === first!.id).length === 2, 60_000, "three provoke runs");
    const series = (await suites.listRuns({ suite: "node-tap" })).runs.filter((r) => r.trigger === RunTrigger.PROVOKE);
    assert.equal(series.length, 3);
    assert.ok(series.every((r) => r.flaky === 1 && r.status === RunStatus.PASSED));
    const { tests } = await suites.getFlakyReport({});
    const flaky = tests.filter((t) => t.name === "flaky" || t.name === "TestFlaky" || t.name === "test_flaky");
    assert.deepEqual(flaky.map((t) => t.suite).sort(), ["go", "node", "node-tap", "python"]);
    assert.ok(flaky.every((t) => t.flakyRuns >= 1));
    assert.ok(!tests.some((t) => t.name === "adds"), "a steady test is not flaky");
  });

  it("kills a hanging suite at its timeout: its processes are gone and its environment destroyed", async () => {
    const { run: started } = await suites.startRun({ suite: "hang" });
    await eventually(() => processesWith(hangMarker).length >= 2, 30_000, "the hanging test's environment and background process");
    const { run } = await watchToEnd(suites, started!.id);
    assert.equal(run.status, RunStatus.TIMED_OUT);
    assert.match(run.error, /killed at its timeout of 8s/);
    assert.equal(run.environmentIds.length, 1);
    await eventually(() => processesWith(hangMarker).length === 0, 10_000, "no process of the hanging suite left");
    const env = await rigd.client.getEnvironment({ environmentId: run.environmentIds[0]! }).catch(() => undefined);
    assert.ok(!env || env.environment?.state !== EnvironmentState.UP, "its environment is not up");
    await eventually(async () => (await rigd.client.listEnvironments({})).environments.length === 0, 10_000, "every environment down");
  });

  it("cancels a running suite: its tree is killed, its environment destroyed", async () => {
    const { run: started } = await suites.startRun({ suite: "hang-long" });
    await eventually(() => processesWith(hangMarker).length >= 2, 30_000, "the hanging test's environment and background process");
    const { run } = await suites.cancelRun({ runId: started!.id });
    assert.equal(run?.status, RunStatus.CANCELLED);
    assert.equal(processesWith(hangMarker).length, 0, "nothing of the run is left once CancelRun returns");
    assert.equal(run?.environmentIds.length, 1);
    const env = await rigd.client.getEnvironment({ environmentId: run!.environmentIds[0]! }).catch(() => undefined);
    assert.ok(!env || env.environment?.state === EnvironmentState.DOWN, "its environment is down");
    const again = await suites.cancelRun({ runId: started!.id }).then(() => assert.fail("expected FAILED_PRECONDITION"), (e: unknown) => ConnectError.from(e));
    assert.equal(again.code, Code.FailedPrecondition);
    assert.match(again.rawMessage, /is not running \(it is cancelled\)/);
  });

  it("runs a suite registered through the API on a schedule every 2 seconds", async () => {
    const { suite } = await suites.registerSuite({
      suite: { name: "tick", namespace: "ops", dir: join(testdata, "node"), command: "node --test --test-reporter=tap basic.test.mjs", filter: "^adds$", schedule: "*/2 * * * * *" },
    });
    assert.ok(suite?.nextRun, "the next run is shown");
    await eventually(async () => (await suites.listRuns({ suite: "tick" })).runs.filter((r) => r.finishedAt).length >= 2, 30_000, "two scheduled runs");
    await suites.registerSuite({ suite: { name: "tick", namespace: "ops", dir: join(testdata, "node"), command: "true" } });
    const { runs } = await suites.listRuns({ suite: "tick" });
    assert.ok(runs.every((r) => r.trigger === RunTrigger.SCHEDULE));
    await eventually(async () => (await suites.listRuns({ suite: "tick" })).runs.every((r) => r.finishedAt), 30_000, "the last scheduled run to end");
  });

  it("serves /metrics behind the token; its counters match the runs", async () => {
    // One lock wait, through the real lock service: the second exclusive acquire queues.
    const locks = createClient(LockService, createGrpcTransport({ baseUrl: `http://${rigd.address}`, interceptors: [bearer(rigd.token)] }));
    const acquire = () => {
      const q = new RequestQueue<AcquireRequest>();
      q.push(create(AcquireRequestSchema, { kind: { case: "lock", value: { resources: ["suite-metrics"], mode: LockMode.EXCLUSIVE } } }));
      return { q, responses: locks.acquire(q)[Symbol.asyncIterator]() };
    };
    const first = acquire();
    assert.equal((await first.responses.next()).value?.kind.case, "acquired");
    const second = acquire();
    assert.equal((await second.responses.next()).value?.kind.case, "queued");
    for (const holder of [first, second]) {
      if (holder === second) assert.equal((await second.responses.next()).value?.kind.case, "acquired");
      holder.q.push(create(AcquireRequestSchema, { kind: { case: "release", value: {} } }));
      holder.q.end();
      assert.equal((await holder.responses.next()).value?.kind.case, "released");
    }

    // Two proxied HTTP calls: a asks b, through the recording proxy on their edge.
    const chain = (name: string, extra: string[], next?: string) => ({
      name,
      egresses: next ? [{ name: "next", service: next }] : [],
      config: { case: "process" as const, value: { command: process.execPath, args: [join(FIXTURES, "chain-server.js"), ...extra, rigd.marker] } },
    });
    const { environmentId } = await rigd.client.createEnvironment({ spec: spec({ name: "traffic", observe: true, services: [chain("a", [], "b"), chain("b", [])] }) });
    await collectEvents(rigd, environmentId);
    const a = (await rigd.client.getEnvironment({ environmentId })).environment?.services.find((x) => x.name === "a")?.ingresses["default"];
    for (let i = 0; i < 2; i++) await (await fetch(`http://${a!.host}:${a!.port}/`)).text();
    await rigd.client.destroyEnvironment({ environmentId });
    const recorded = (await collectEvents(rigd, environmentId, () => false)).filter(
      (e) => e.payload.case === "requestCompleted" && e.payload.value.status === 200,
    ).length;
    assert.ok(recorded >= 2, `the proxy recorded the calls (${recorded})`);

    const url = `http://${rigd.address}/metrics`;
    assert.equal((await fetch(url)).status, 401);
    const res = await fetch(url, { headers: { authorization: `Bearer ${rigd.token}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    const families = parsePrometheusTextFormat(text);
    const family = (name: string) => families.find((f) => f.name === name);
    const { runs } = await suites.listRuns({ limit: 1000 });
    const startedFamily = family("rig_testsuites_started_total");
    for (const name of ["node", "go", "python", "node-tap", "hang", "hang-long", "tick"]) {
      const sample = startedFamily?.metrics.find((m) => m.labels?.["suite_name"] === name);
      assert.equal(Number(sample?.value), runs.filter((r) => r.suite === name).length, `runs started of ${name}`);
    }
    let failedAttempts = 0;
    for (const run of runs) {
      const full = (await suites.getRun({ runId: run.id })).run!;
      for (const test of full.tests) failedAttempts += test.attempts.filter((a) => a.result === TestResult.FAILED).length;
    }
    const failedSamples = family("rig_tests_run_total")?.metrics.filter((m) => m.labels?.["result"] === "failed") ?? [];
    assert.equal(failedSamples.reduce((sum, m) => sum + Number(m.value), 0), failedAttempts);
    const finished = (name: string) =>
      (family("rig_testsuites_finished_total")?.metrics.filter((m) => m.labels?.["suite_name"] === name) ?? []).map((m) => [m.labels?.["result"], m.value]);
    assert.deepEqual(finished("hang"), [["timed_out", "1"]]);
    assert.deepEqual(finished("hang-long"), [["cancelled", "1"]]);
    assert.equal(family("rig_testsuites_running")?.metrics.every((m) => Number(m.value) === 0), true);
    // rig's own, from the event logs: the environments of the SDK tests (node, python, two hangs) and "traffic".
    assert.equal(Number(family("rig_environments_created_total")?.metrics[0]?.value), 5);
    const up = family("rig_environment_up_seconds");
    assert.equal(up?.type, "HISTOGRAM");
    assert.equal(up?.metrics[0]?.buckets?.["+Inf"], "5", "five environments came up");
    // The parser keeps no labels on histograms: the text says which type started.
    assert.match(text, /^rig_service_start_seconds_count\{type="process"\} [1-9]/m);
    assert.equal(family("rig_lock_waits_total")?.metrics[0]?.value, "1");
    const proxied = family("rig_proxy_calls_total")?.metrics.find((m) => m.labels?.["protocol"] === "http" && m.labels?.["status"] === "200");
    assert.equal(Number(proxied?.value), recorded, "one count per recorded call");
    assert.equal(family("rig_environments_down_total")?.metrics.find((m) => m.labels?.["reason"] === "destroyed")?.value, "5");
    assert.equal(family("rig_lock_wait_seconds")?.metrics[0]?.buckets?.["+Inf"], "2", "two acquisitions timed");
  });

  it("reports a suite that cannot run as an error saying why", async () => {
    await suites.registerSuite({ suite: { name: "broken", dir: join(work, "no-such-dir"), command: "true" } });
    const { run: started } = await suites.startRun({ suite: "broken" });
    const { run } = await watchToEnd(suites, started!.id);
    assert.equal(run.status, RunStatus.ERROR);
    assert.match(run.error, /cannot run the suite command in .*no-such-dir: the directory does not exist/);
  });

  it("rig suites, rig runs, rig flaky show them; rig run exits 0 when the suite passed", async () => {
    const listed = await rigCli(["suites"]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^go\s+api\s+on demand\s+attempts 3\s+timeout 2m00s\s+\(config\)$/m);
    assert.match(listed.stdout, /go test -json -count=1 \.  in .*testdata\/go/);
    const runs = await rigCli(["runs", "go"]);
    assert.match(runs.stdout, /^go-[0-9a-f]+\s+go\s+failed\s+4 passed, 1 failed, 1 skipped, 1 flaky\s+manual/m);
    const goRun = /^(go-[0-9a-f]+)/m.exec(runs.stdout)![1]!;
    const detail = await rigCli(["runs", goRun, "--output"]);
    assert.match(detail.stdout, /FAIL TestCompares\s+attempt 3/);
    assert.match(detail.stdout, /a failure by design/);
    const flaky = await rigCli(["flaky", "go"]);
    assert.match(flaky.stdout, /^go\s+TestFlaky\s+flip rate 0% \(0 flips in \d+ runs\), retried to pass in \d+/m);
    const passing = await rigCli(["run", "node-tap", "--filter", "^adds$"]);
    assert.equal(passing.code, 0, passing.stdout);
    assert.match(passing.stdout, /ok\s+adds/);
    const bad = await rigCli(["run"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected one SUITE/);
  });

  it("POSTs every finished run to the webhook", async () => {
    const { runs } = await suites.listRuns({ limit: 1000 });
    await eventually(() => hookBodies.length >= runs.length, 10_000, "a webhook call per run");
    assert.deepEqual(new Set(hookBodies.map((b) => b.run.id)), new Set(runs.map((r) => r.id)));
    assert.ok(hookBodies.every((b) => b.event === "run.finished"));
    for (const run of runs) {
      assert.equal(hookBodies.find((b) => b.run.id === run.id)?.run.status, `RUN_STATUS_${RunStatus[run.status]}`, `the webhook's status of ${run.id}`);
    }
  });

  it("keeps results and history across a rigd restart (a run in flight is interrupted); a registered suite comes back", async () => {
    const before = (await suites.listRuns({ limit: 1000 })).runs;
    const flakyBefore = (await suites.getFlakyReport({})).tests;
    // A run in flight when rigd stops: interrupted, its processes gone.
    const { run: inFlight } = await suites.startRun({ suite: "hang-long" });
    await eventually(() => processesWith(hangMarker).length >= 2, 30_000, "the hanging test's environment and background process");
    await rigd.stop({ keepDir: true });
    assert.deepEqual(processesWith(hangMarker), [], "rigd's shutdown killed the run's processes");
    rigd = await startRigd(["--suites", join(work, "rig.suites.json"), "--idle", "0"], { rigDir: rigd.rigDir });
    suites = connect(rigd);
    const afterRuns = (await suites.listRuns({ limit: 1000 })).runs.filter((r) => r.id !== inFlight!.id);
    assert.deepEqual(afterRuns.map((r) => [r.id, r.status]), before.map((r) => [r.id, r.status]));
    const interrupted = (await suites.getRun({ runId: inFlight!.id })).run;
    assert.equal(interrupted?.status, RunStatus.INTERRUPTED);
    assert.equal(interrupted?.environmentIds.length, 1, "its environment was linked before rigd stopped");
    const node = afterRuns.find((r) => r.suite === "node")!;
    const { run } = await suites.getRun({ runId: node.id, includeOutput: true });
    assert.match(byName(run!).get("compares")?.attempts[0]?.output ?? "", /a failure by design/, "compressed output comes back");
    assert.deepEqual((await suites.getFlakyReport({})).tests, flakyBefore);
    assert.ok((await suites.listSuites({})).suites.some((s) => s.name === "tick" && s.source === "api"));
    assert.ok(existsSync(join(rigd.rigDir, "suites", "history.sqlite")));
  });
});
