/**
 * The rigd executable as SDKs use it: real `node dist/main.js` processes with a temp
 * RIG_DIR, probed over real sockets with real clients (Connect gRPC, gRPC-Web, fetch,
 * grpc-js reflection client, grpcurl).
 * Needs the real orchestrator built (dist/orchestrator/orchestrator.js); skips otherwise.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import type { TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { GrpcReflection } from "grpc-js-reflection-client";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { bearer, grpcJsBearer, readRigdToken } from "../testing/rigd-harness.js";
import { rigdVersion } from "./rig-dir.js";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const ORCHESTRATOR = fileURLToPath(new URL("../orchestrator/orchestrator.js", import.meta.url));
const HAVE_ORCHESTRATOR = existsSync(ORCHESTRATOR);

/** A rigd child process and what it printed. */
interface Rigd {
  readonly child: ChildProcess;
  readonly rigDir: string;
  readonly addrFile: string;
  stdout: string;
  stderr: string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns rigd; the test context kills it (by pid) and removes its RIG_DIR afterwards. */
async function spawnRigd(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Rigd> {
  const rigDir = await mkdtemp(path.join(os.tmpdir(), "rigd-spec-"));
  const child = spawn(process.execPath, [MAIN, ...args].map((a) => a.replaceAll("$RIG_DIR", rigDir)), {
    env: { ...process.env, RIG_DIR: undefined, ...env, ...(env.RIG_DIR === "$RIG_DIR" ? { RIG_DIR: rigDir } : {}) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const rigd: Rigd = {
    child,
    rigDir,
    addrFile: path.join(rigDir, `rigd-${rigdVersion()}.addr`),
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal }))),
  };
  child.stdout!.on("data", (chunk: Buffer) => (rigd.stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (rigd.stderr += chunk.toString()));
  t.after(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await rigd.exited;
    }
    await rm(rigDir, { recursive: true, force: true });
  });
  return rigd;
}

/** Waits for the addr file and returns its content; fails if rigd exits first. */
async function waitForAddrFile(rigd: Rigd): Promise<string> {
  for (let i = 0; i < 1500; i++) {
    if (rigd.child.exitCode !== null) assert.fail(`rigd exited early (${rigd.child.exitCode}): ${rigd.stderr}`);
    try {
      return await readFile(rigd.addrFile, "utf8");
    } catch {
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  assert.fail(`no addr file after 15 s; stderr: ${rigd.stderr}`);
}

async function stop(rigd: Rigd): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  rigd.child.kill("SIGTERM");
  return rigd.exited;
}

const SKIP = HAVE_ORCHESTRATOR ? false : "orchestrator/orchestrator.js is not built yet; main.js cannot run";

describe("rigd process", { concurrency: 2, skip: SKIP }, () => {
  it("publishes its address only once serving, and removes it on SIGTERM", async (t) => {
    const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", "--idle", "0"]);
    const content = await waitForAddrFile(rigd);
    assert.match(content, /^127\.0\.0\.1:\d+\n$/);
    const address = content.trim();
    // The file only exists once the port answers: a health check succeeds right away.
    const health = createClient(Health, createGrpcTransport({ baseUrl: `http://${address}` }));
    assert.equal((await health.check({ service: "" })).status, ServingStatus.SERVING);

    assert.deepEqual(await stop(rigd), { code: 0, signal: null });
    assert.equal(existsSync(rigd.addrFile), false, "addr file removed");
    const entries = await readdir(rigd.rigDir);
    for (const entry of ["cache", "logs", "tmp", `rigd-${rigdVersion()}.log`]) assert.ok(entries.includes(entry), `RIG_DIR has ${entry}`);
    const log = (await readFile(path.join(rigd.rigDir, `rigd-${rigdVersion()}.log`), "utf8")).trim().split("\n").map((l) => JSON.parse(l) as { msg: string; address?: string; reason?: string });
    assert.ok(log.some((l) => l.msg === "serving" && l.address === address), "log says where it serves");
    assert.ok(log.some((l) => l.msg === "stopped" && l.reason === "signal"), "log records the shutdown");
  });

  it("leaves an addr file that another rigd has taken over", async (t) => {
    const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", "--idle", "0"]);
    await waitForAddrFile(rigd);
    await writeFile(rigd.addrFile, "127.0.0.1:1\n");
    assert.equal((await stop(rigd)).code, 0);
    assert.equal(await readFile(rigd.addrFile, "utf8"), "127.0.0.1:1\n");
  });

  it("serves gRPC, gRPC-Web, Connect JSON, health and reflection on one port", async (t) => {
    const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", "--idle", "0", "--addr-file", "$RIG_DIR/custom.addr"]);
    const address = (await waitForAddrFile({ ...rigd, addrFile: path.join(rigd.rigDir, "custom.addr") })).trim();
    const baseUrl = `http://${address}`;
    const token = readRigdToken(path.join(rigd.rigDir, "custom.addr"));
    const interceptors = [bearer(token)];

    const overGrpc = createClient(EnvironmentService, createGrpcTransport({ baseUrl, interceptors }));
    assert.deepEqual((await overGrpc.listEnvironments({})).environments, []);
    const overGrpcWeb = createClient(EnvironmentService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1", interceptors }));
    assert.deepEqual((await overGrpcWeb.listEnvironments({})).environments, []);

    const res = await fetch(`${baseUrl}/rig.v1.EnvironmentService/ListEnvironments`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: "{}",
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {});

    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    assert.equal((await health.check({ service: "rig.v1.EnvironmentService" })).status, ServingStatus.SERVING);
    await assert.rejects(health.check({ service: "nope" }), (err: unknown) => ConnectError.from(err).code === Code.NotFound);

    const reflection = new GrpcReflection(address, grpc.credentials.createInsecure(), { interceptors: [grpcJsBearer(token)] }, "v1alpha");
    assert.ok((await reflection.listServices()).includes("rig.v1.EnvironmentService"));

    const grpcurl = findGrpcurl();
    if (grpcurl) {
      const { stdout } = await promisify(execFile)(grpcurl, ["-plaintext", "-H", `authorization: Bearer ${token}`, address, "list"], { timeout: 20_000 });
      assert.deepEqual(stdout.trim().split("\n"), [
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        "rig.v1.EnvironmentService",
        "rig.v1.LockService",
        "rig.v1.SuiteService",
      ]);
    } else {
      t.diagnostic("grpcurl not installed; skipped the grpcurl list check");
    }
    assert.equal((await stop(rigd)).code, 0);
  });

  it("answers NOT_FOUND for an unknown environment", async (t) => {
    const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", "--idle", "0"]);
    const address = (await waitForAddrFile(rigd)).trim();
    const client = createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(readRigdToken(rigd.addrFile))] }));
    await assert.rejects(client.getEnvironment({ environmentId: "no-such-env" }), (err: unknown) => ConnectError.from(err).code === Code.NotFound);
    assert.equal((await stop(rigd)).code, 0);
  });

  it("exits on its own after --idle with nothing to do (RIG_DIR from the environment)", async (t) => {
    const rigd = await spawnRigd(t, ["--idle", "1s"], { RIG_DIR: "$RIG_DIR" });
    await waitForAddrFile(rigd);
    assert.deepEqual(await rigd.exited, { code: 0, signal: null });
    assert.equal(existsSync(rigd.addrFile), false, "addr file removed");
    const log = await readFile(path.join(rigd.rigDir, `rigd-${rigdVersion()}.log`), "utf8");
    assert.match(log, /"reason":"idle"/);
  });

  it("does not idle out while an environment is live", async (t) => {
    // Idle window 1 s, but the environment lives until its orphan timer (3 s) ends it.
    const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", "--idle", "1s", "--orphan-grace", "3s"]);
    const address = (await waitForAddrFile(rigd)).trim();
    const client = createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(readRigdToken(rigd.addrFile))] }));
    const { environmentId } = await client.createEnvironment({
      spec: { name: "idle", services: [{ name: "sleeper", config: { case: "process", value: { command: "sleep", args: ["60"] } } }] },
    });
    assert.deepEqual(await rigd.exited, { code: 0, signal: null });
    const log = (await readFile(path.join(rigd.rigDir, `rigd-${rigdVersion()}.log`), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { msg: string; env?: string; reason?: string });
    const down = log.findIndex((l) => l.msg === "environment down" && l.env === environmentId);
    const shutdown = log.findIndex((l) => l.msg === "shutting down");
    assert.ok(down >= 0 && shutdown > down, "the environment ended before rigd decided to stop");
    assert.equal(log[shutdown]?.reason, "idle");
    assert.notEqual(log[down]?.reason, "SHUTDOWN", "ended by its orphan timer, not by rigd's shutdown");
  });

  it("on a busy port, exits 1 with the one line that says so", async (t) => {
    const busy = net.createServer().listen(0, "127.0.0.1");
    await once(busy, "listening");
    t.after(() => busy.close());
    const port = (busy.address() as net.AddressInfo).port;
    const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", "--listen", `127.0.0.1:${port}`]);
    const { code } = await rigd.exited;
    assert.equal(code, 1);
    assert.equal(rigd.stderr, `rigd: cannot start: listen EADDRINUSE: address already in use 127.0.0.1:${port}\n`);
    assert.equal(existsSync(rigd.addrFile), false);
  });

  it("rejects bad flags with exit code 2 and a message", async (t) => {
    const cases: [string[], RegExp][] = [
      [["--idle", "soon"], /--idle: invalid duration "soon"/],
      [["--listen", "0.0.0.0:0"], /only binds loopback/],
      [["--frobnicate"], /--frobnicate/],
    ];
    for (const [args, message] of cases) {
      const rigd = await spawnRigd(t, ["--rig-dir", "$RIG_DIR", ...args]);
      const { code } = await rigd.exited;
      assert.equal(code, 2, args.join(" "));
      assert.match(rigd.stderr, message);
      assert.match(rigd.stderr, /usage: rigd/);
      assert.equal(existsSync(rigd.addrFile), false);
    }
  });
});

/** grpcurl on PATH or in the repo's .tools/bin, if any. */
function findGrpcurl(): string | undefined {
  const candidates = [
    ...(process.env.PATH ?? "").split(path.delimiter).map((dir) => path.join(dir, "grpcurl")),
    fileURLToPath(new URL("../../../.tools/bin/grpcurl", import.meta.url)),
  ];
  return candidates.find((file) => existsSync(file));
}
