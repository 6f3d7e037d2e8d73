/**
 * A rigd that dies cannot tear anything down. Its watchdog (a detached process holding
 * a pipe to rigd) kills its service process trees and removes its temp dirs within a
 * second or two; when the watchdog died too, the next rigd on the same RIG_DIR finds
 * what is left through the pid records and the tree markers (SPEC §10, §12).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { bearer, eventually, FIXTURES, processesWith, readRigdToken, RIGD_MAIN, spec, watchdogOf } from "../testing/rigd-harness.js";

async function spawnRigd(rigDir: string, addrFile: string) {
  rmSync(addrFile, { force: true });
  const child = spawn(process.execPath, [RIGD_MAIN, "--rig-dir", rigDir, "--addr-file", addrFile], { stdio: "ignore" });
  await eventually(() => existsSync(addrFile), 20_000, "the addr file");
  const address = readFileSync(addrFile, "utf8").trim();
  return { child, client: createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(readRigdToken(addrFile))] })) };
}

/** A service whose command leaves a grandchild outside its process group (setsid). */
function leaky(marker: string) {
  return {
    name: "leaky",
    noIngress: true,
    config: { case: "process" as const, value: { command: "sh", args: ["-c", `setsid sh -c 'sleep 171; true ${marker}-grandchild' & exec sh -c 'sleep 300; true ${marker}'`] } },
  };
}

async function upWith(rigd: Awaited<ReturnType<typeof spawnRigd>>, marker: string): Promise<string> {
  const { environmentId } = await rigd.client.createEnvironment({
    spec: spec({
      name: "doomed",
      services: [
        { name: "api", config: { case: "process", value: { command: process.execPath, args: [join(FIXTURES, "chain-server.js"), marker] } } },
        leaky(marker),
      ],
    }),
  });
  for await (const res of rigd.client.watchEvents({ environmentId })) if (res.event?.type === "environment.up") break;
  await eventually(() => processesWith(marker).length === 3, 5_000, "the services and the grandchild to run");
  return environmentId;
}

test("when rigd is killed, its watchdog stops its services (setsid grandchildren too) and removes its temp dirs", async () => {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-watchdog-"));
  const addrFile = join(rigDir, "addr");
  const marker = join(rigDir, "service-marker");
  const rigd = await spawnRigd(rigDir, addrFile);
  try {
    const environmentId = await upWith(rigd, marker);
    assert.ok(existsSync(join(rigDir, "tmp", environmentId)));
    rigd.child.kill("SIGKILL");
    await eventually(() => processesWith(marker).length === 0, 5_000, "the watchdog to kill the services");
    await eventually(() => !existsSync(join(rigDir, "tmp", environmentId)), 5_000, "the watchdog to remove the temp dir");
  } finally {
    for (const pid of processesWith(marker)) process.kill(pid, "SIGKILL");
    rigd.child.kill("SIGKILL");
    rmSync(rigDir, { recursive: true, force: true });
  }
});

test("when rigd and its watchdog are both killed, the next rigd kills what they left and removes the temp dirs", async () => {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-reap-"));
  const addrFile = join(rigDir, "addr");
  const marker = join(rigDir, "service-marker");
  const first = await spawnRigd(rigDir, addrFile);
  let second: Awaited<ReturnType<typeof spawnRigd>> | undefined;
  try {
    const environmentId = await upWith(first, marker);
    const watchdog = watchdogOf(first.child.pid as number);
    assert.ok(watchdog, "rigd has a watchdog");
    process.kill(watchdog, "SIGKILL");
    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    assert.equal(processesWith(marker).length, 3, "with no watchdog, the services run on");

    second = await spawnRigd(rigDir, addrFile);
    await eventually(() => processesWith(marker).length === 0, 10_000, "the orphaned services and grandchild to be reaped");
    assert.equal(existsSync(join(rigDir, "tmp", environmentId)), false, "the dead rigd's temp dir is removed");
  } finally {
    for (const pid of processesWith(marker)) process.kill(pid, "SIGKILL");
    first.child.kill("SIGKILL");
    second?.child.kill("SIGTERM");
    if (second) await new Promise((r) => second?.child.once("exit", r));
    rmSync(rigDir, { recursive: true, force: true });
  }
});
