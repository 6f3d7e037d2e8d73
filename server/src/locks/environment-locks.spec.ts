/**
 * Locks on environments against a real rigd: services whose spec requires a resource
 * run real processes (testing/fixtures/interval-recorder.ts) that record when they run.
 * Two environments requiring the same exclusive resource never overlap, shared ones do;
 * the resource is freed when an environment is destroyed, when its service fails and
 * when rigd stops; a waiting environment destroyed while it waits leaves no waiter; a
 * test process's lock (LockService) and an environment's exclude each other; the
 * waiting service says for what and behind whom.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { EnvironmentState } from "../gen/rig/v1/environment_service_pb.js";
import { LockMode, LockService } from "../gen/rig/v1/lock_service_pb.js";
import { lockClient, collectEvents, eventually, FIXTURES, leftoverTempDirs, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { operationLogFile, readOperationLog } from "./operation-log.js";

const RECORDER = join(FIXTURES, "interval-recorder.js");
const RIG_CLI = join(dirname(fileURLToPath(import.meta.url)), "..", "cli", "rig.js");
let rigd: Rigd;
let locks: Client<typeof LockService>;
let n = 0;

before(async () => {
  rigd = await startRigd(["--idle", "0"]);
  locks = lockClient(rigd);
});
after(async () => {
  await rigd.stop();
  assert.deepEqual(processesWith(rigd.marker), [], "no service process outlives rigd");
});

interface Record_ {
  label: string;
  t: number;
  ev: "enter" | "leave";
}

function outFile(): string {
  return join(rigd.rigDir, `intervals-${++n}.jsonl`);
}

/** One worker service that requires `resource`, recording into `out`. */
function lockedSpec(name: string, resource: string, shared: boolean, out: string, failAfterMs = 0) {
  return spec({
    name,
    stallTimeout: durationFromMs(300),
    services: [
      {
        name: "worker",
        requires: [{ resource, shared }],
        config: { case: "process", value: { command: process.execPath, args: [RECORDER, out, name, rigd.marker, String(failAfterMs)] } },
      },
    ],
  });
}

async function create(name: string, resource: string, shared: boolean, out: string, failAfterMs = 0): Promise<string> {
  const { environmentId } = await rigd.client.createEnvironment({ spec: lockedSpec(name, resource, shared, out, failAfterMs) });
  return environmentId;
}

async function up(id: string): Promise<void> {
  const last = (await collectEvents(rigd, id)).at(-1);
  assert.equal(last?.type, "environment.up", `${id} did not come up: ${JSON.stringify(last?.payload.value)}`);
}

async function destroy(id: string): Promise<void> {
  await rigd.client.destroyEnvironment({ environmentId: id });
}

async function lockState(resource: string) {
  const { resources } = await locks.listLocks({});
  const r = resources.find((x) => x.name === resource);
  return { holders: r?.holders ?? [], waiters: r?.waiters ?? [] };
}

function records(out: string): Record_[] {
  return existsSync(out) ? readFileSync(out, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Record_) : [];
}

/** [enter, leave] of each label. */
function intervals(out: string): Map<string, [number, number]> {
  const m = new Map<string, [number, number]>();
  for (const r of records(out)) {
    const i = m.get(r.label) ?? [NaN, Infinity];
    if (r.ev === "enter") i[0] = r.t;
    else i[1] = r.t;
    m.set(r.label, i);
  }
  return m;
}

test("two environments requiring one exclusive resource never overlap; the waiting one says behind whom", async () => {
  const out = outFile();
  const a = await create("excl-a", "fixture-x", false, out);
  await up(a);
  const b = await create("excl-b", "fixture-x", false, out);
  await eventually(async () => (await lockState("fixture-x")).waiters.length === 1, 15_000, "excl-b to queue");

  const state = await lockState("fixture-x");
  assert.equal(state.holders[0]?.holder?.environmentId, a);
  assert.equal(state.holders[0]?.holder?.service, "worker");
  assert.equal(state.holders[0]?.mode, LockMode.EXCLUSIVE);
  assert.equal(state.waiters[0]?.holder?.environmentId, b);
  assert.equal((await rigd.client.getEnvironment({ environmentId: b })).environment?.state, EnvironmentState.STARTING);
  assert.equal(records(out).filter((r) => r.label === "excl-b").length, 0, "excl-b's service has not started");
  const ps = spawnSync(process.execPath, [RIG_CLI, "locks", "ps"], {
    env: { ...process.env, RIG_DIR: rigd.rigDir, RIG_SERVER: rigd.address, RIG_TOKEN: rigd.token },
    encoding: "utf8",
  });
  assert.match(ps.stdout, new RegExp(`holds .* exclusive .* environment ${a} service worker\n.*waits .* environment ${b} service worker`), ps.stderr);

  // The stall report and the service's log name the resource and its holder.
  const stall = (await collectEvents(rigd, b, (e) => e.type === "progress.stall", { includeLogs: true })).reverse();
  const report = stall[0]?.payload.case === "progressStall" ? stall[0].payload.value : undefined;
  assert.match(report?.message ?? "", new RegExp(`worker \\(pending\\) waits for resource fixture-x exclusive; held by environment ${a} service worker`));
  const waitLine = stall.find((e) => e.payload.case === "serviceLog");
  assert.match(waitLine?.payload.case === "serviceLog" ? waitLine.payload.value.line : "", /\[rig: waiting for resource fixture-x exclusive; held by environment excl-a-/);

  await destroy(a);
  await up(b);
  await destroy(b);
  const spans = intervals(out);
  const [, aLeave] = spans.get("excl-a")!;
  const [bEnter] = spans.get("excl-b")!;
  assert.ok(bEnter > aLeave, `excl-b entered (${bEnter}) after excl-a left (${aLeave})`);
  assert.deepEqual(await lockState("fixture-x"), { holders: [], waiters: [] });

  const log = readOperationLog(operationLogFile(rigd.rigDir), { resource: "fixture-x" });
  const ops = log.map((r) => `${r.op} ${r.holder?.environmentId === a ? "a" : "b"}`);
  assert.deepEqual(ops, ["acquire a", "acquire.wait b", "release a", "acquire b", "release b"]);
  assert.equal(log[0]?.holder?.service, "worker");
});

test("environments requiring a shared resource run together", async () => {
  const out = outFile();
  const ids = [await create("shared-a", "fixture-s", true, out), await create("shared-b", "fixture-s", true, out)];
  await Promise.all(ids.map(up));
  assert.equal((await lockState("fixture-s")).holders.length, 2);
  await Promise.all(ids.map(destroy));
  const [aEnter, aLeave] = intervals(out).get("shared-a")!;
  const [bEnter, bLeave] = intervals(out).get("shared-b")!;
  assert.ok(Math.max(aEnter, bEnter) < Math.min(aLeave, bLeave), "both ran at the same time");
});

test("a failing service lets its resource go, and the next environment takes it", async () => {
  const out = outFile();
  const failing = await create("fails", "fixture-f", false, out, 800);
  await up(failing);
  const next = await create("next", "fixture-f", false, out);
  const down = (await collectEvents(rigd, failing, (e) => e.type === "environment.down")).at(-1);
  assert.match(down?.payload.case === "environmentDown" ? down.payload.value.summary : "", /worker.*failed.*exited with code 1/);
  await up(next);
  assert.equal((await lockState("fixture-f")).holders[0]?.holder?.environmentId, next);
  await destroy(next);
  await destroy(failing);
});

test("an environment destroyed while it waits leaves no waiter, and never starts its service", async () => {
  const out = outFile();
  const holder = await create("holds", "fixture-w", false, out);
  await up(holder);
  const waiter = await create("waits", "fixture-w", false, out);
  await eventually(async () => (await lockState("fixture-w")).waiters.length === 1, 15_000, "waits to queue");
  await destroy(waiter);
  assert.deepEqual((await lockState("fixture-w")).waiters, []);
  await destroy(holder);
  assert.deepEqual(await lockState("fixture-w"), { holders: [], waiters: [] });
  assert.deepEqual([...intervals(out).keys()], ["holds"]);
  const cancel = readOperationLog(operationLogFile(rigd.rigDir), { resource: "fixture-w" }).find((r) => r.op === "acquire.cancel");
  assert.equal(cancel?.holder?.environmentId, waiter);
  // A destroyed environment's run dir is renamed aside and deleted in the background.
  await eventually(() => leftoverTempDirs(rigd.rigDir).length === 0, 15_000, "no temp dir left");
});

test("a test process's lock and an environment's exclude each other", async () => {
  const out = outFile();
  const worker = spawn(process.execPath, [join(FIXTURES, "lock-worker.js"), rigd.address, rigd.token, outFile(), "keep", "fixture-t", "exclusive"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) => worker.stdout!.on("data", (d: Buffer) => d.toString().includes("acquired") && resolve()));
  const env = await create("after-test", "fixture-t", true, out);
  await eventually(async () => (await lockState("fixture-t")).waiters.length === 1, 15_000, "the environment to queue");
  assert.equal(records(out).length, 0);
  worker.kill("SIGKILL");
  await up(env);
  await destroy(env);
});

test("a spec naming a bad or repeated resource is refused, naming where", async () => {
  const bad = lockedSpec("bad", "has space", false, outFile());
  bad.services[0]!.requires.push({ $typeName: "rig.v1.ResourceRequirement", resource: "has space", shared: true });
  const err = await rigd.client.createEnvironment({ spec: bad }).then(
    () => assert.fail("expected INVALID_ARGUMENT"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument);
  assert.match(err.rawMessage, /services\[0\]\(worker\)\.requires\[0\]\.resource: bad resource name "has space"/);
  assert.match(err.rawMessage, /services\[0\]\(worker\)\.requires\[1\]\.resource: resource "has space" is required twice/);
});

test("rigd stopping releases what its environments hold, before it records its stop", async () => {
  const out = outFile();
  await up(await create("at-shutdown", "fixture-z", false, out));
  await rigd.stop({ keepDir: true });
  const ops = readOperationLog(operationLogFile(rigd.rigDir)).map((r) => r.op + (r.resources?.includes("fixture-z") ? " z" : ""));
  assert.deepEqual(ops.slice(-2), ["release z", "server.stop"]);
  assert.deepEqual([...intervals(out).values()].map(([, leave]) => Number.isFinite(leave)), [true]);
});
