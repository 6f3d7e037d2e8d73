/**
 * Ctrl-C or SIGTERM of a test process tears its environments down at once (not after
 * rigd's orphan grace), then the signal takes its default course. Real test processes
 * with a real process service, signalled; rigd is asked what is still live.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectRigd } from "../daemon/auto-start.js";
import { rig } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import { fixture } from "../test-fixtures/run-node.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
  await (await rig.up({ warm: httpFunc() })).down();
});
after(() => rigDir.dispose());

let exitCode: number | null = null;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function signalledRun(mode: "script" | "node-test" | "own-handler", signal: NodeJS.Signals): Promise<string> {
  const pidFile = `${rigDir.dir}/signal-${mode}-${signal}.pid`;
  const env: NodeJS.ProcessEnv = { ...process.env, RIG_FIXTURE_PIDFILE: pidFile, RIG_FIXTURE_MODE: mode };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [fixture("signal-target.js")], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      if (stdout.includes("\n")) resolve(stdout.split("\n")[0] ?? "");
    });
    void exited.then(() => reject(new Error(`the test process exited early:\n${stdout}${stderr}`)));
  });
  const { id } = JSON.parse(line) as { id: string };
  const servicePid = Number(readFileSync(pidFile, "utf8"));
  assert.ok(alive(servicePid), "the service runs");

  const signalledAt = Date.now();
  child.kill(signal);
  // Bounded: a process the signal does not end is killed, and the test fails.
  const hung = setTimeout(() => child.kill("SIGKILL"), 15_000);
  const [code, bySignal] = await exited;
  clearTimeout(hung);
  exitCode = code;
  const exitedAfterMs = Date.now() - signalledAt;
  assert.notEqual(bySignal, "SIGKILL", `still running 15 s after ${signal}`);
  if (mode === "script") assert.equal(bySignal, signal, `died of ${signal} (code ${code}): ${stderr}`);
  assert.ok(exitedAfterMs < 10_000, `exited ${exitedAfterMs} ms after ${signal}`);

  const api = await connectRigd();
  const live = (await api.environments.listEnvironments({})).environments.map((e) => e.id);
  assert.ok(!live.includes(id), `environment ${id} still live after ${signal}: ${live.join(", ")}`);
  const deadline = Date.now() + 5_000;
  while (alive(servicePid) && Date.now() < deadline) await sleep(20);
  assert.equal(alive(servicePid), false, "the service's process is gone");
  const events = readFileSync(`${rigDir.dir}/logs/${id}/events.jsonl`, "utf8");
  assert.match(events, new RegExp(`test process got ${signal}`), "the reason is recorded");
  return stdout;
}

test("SIGTERM of a test script: environment destroyed, service gone, the process dies of SIGTERM", async () => {
  await signalledRun("script", "SIGTERM");
});

test("SIGINT (Ctrl-C) of a test script: the same, dying of SIGINT", async () => {
  await signalledRun("script", "SIGINT");
});

test("SIGTERM of a node:test file with rig.up(t, ...): environment destroyed, service gone", async () => {
  await signalledRun("node-test", "SIGTERM");
});

test("SIGTERM of a process with its own SIGTERM listener: torn down, then its listener runs once, as before", async () => {
  const stdout = await signalledRun("own-handler", "SIGTERM");
  assert.equal(exitCode, 7);
  assert.equal(stdout.match(/own handler ran/g)?.length, 1, stdout);
});

test("rig's listeners exist only while an environment is open; the process's own come back as they were", async () => {
  const mine = (): void => {};
  process.on("SIGTERM", mine);
  try {
    const before = [process.rawListeners("SIGINT"), process.rawListeners("SIGTERM")];
    const env = await rig.up({ ping: httpFunc() });
    const during = [process.rawListeners("SIGINT"), process.rawListeners("SIGTERM")];
    assert.equal(during[0]?.length, 1);
    assert.equal(during[1]?.length, 1);
    assert.ok(!during[1]?.includes(mine), "rig stands in for the process's listener");
    await env.down();
    assert.deepEqual([process.rawListeners("SIGINT"), process.rawListeners("SIGTERM")], before);
  } finally {
    process.removeListener("SIGTERM", mine);
  }
});
