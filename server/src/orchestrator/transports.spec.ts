/**
 * The same environment driven with the tools a user has at hand: plain `curl`
 * speaking Connect JSON over HTTP/1.1, and `grpcurl` speaking gRPC with no proto
 * files (server reflection).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { eventually, FIXTURES, leftoverTempDirs, processesWith, startRigd, type Rigd } from "../testing/rigd-harness.js";

const run = promisify(execFile);
let rigd: Rigd;

before(async () => {
  rigd = await startRigd();
});
after(async () => {
  await rigd.stop();
});

function chainSpec(name: string): object {
  const svc = (n: string, next?: string) => ({
    name: n,
    egresses: next ? [{ name: "next", service: next }] : [],
    process: { command: process.execPath, args: [join(FIXTURES, "chain-server.js"), rigd.marker] },
  });
  return { name, services: [svc("front", "back"), svc("back")] };
}

interface EnvJson {
  state?: string;
  services?: { name: string; internal?: boolean; ingresses?: Record<string, { host: string; port: number }> }[];
}

async function curl(method: string, body: object): Promise<Record<string, unknown>> {
  const { stdout } = await run("curl", [
    "--silent",
    "--show-error",
    "--http1.1",
    "-H",
    "content-type: application/json",
    "-H",
    `authorization: Bearer ${rigd.token}`,
    "-d",
    JSON.stringify(body),
    `http://${rigd.address}/rig.v1.EnvironmentService/${method}`,
  ]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function grpcurl(method: string, body: object): Promise<Record<string, unknown>> {
  const { stdout } = await run("grpcurl", ["-plaintext", "-H", `authorization: Bearer ${rigd.token}`, "-d", JSON.stringify(body), rigd.address, `rig.v1.EnvironmentService/${method}`]);
  return JSON.parse(stdout) as Record<string, unknown>;
}

async function frontAnswer(env: EnvJson): Promise<string> {
  const front = env.services?.find((s) => s.name === "front")?.ingresses?.["default"];
  assert.ok(front, "front has an endpoint");
  return (await fetch(`http://${front.host}:${front.port}/`)).text();
}

describe("without an SDK", () => {
  it("creates, inspects, uses and destroys an environment with plain curl (Connect JSON over HTTP/1.1)", async () => {
    const created = await curl("CreateEnvironment", { spec: chainSpec("curl") });
    const id = created["environmentId"] as string;
    assert.match(id, /^curl-[0-9a-f]{8}$/);
    let env: EnvJson = {};
    await eventually(async () => {
      env = (await curl("GetEnvironment", { environmentId: id }))["environment"] as EnvJson;
      return env.state === "ENVIRONMENT_STATE_UP";
    }, 20_000, "the environment to be up");
    assert.equal(await frontAnswer(env), "front>back");
    const listed = (await curl("ListEnvironments", {}))["environments"] as { id: string }[];
    assert.ok(listed.some((e) => e.id === id));
    const destroyed = await curl("DestroyEnvironment", { environmentId: id });
    assert.match(String(destroyed["eventLogPath"]), /events\.jsonl$/);
    const bad = await curl("CreateEnvironment", { spec: { services: [{ name: "x" }] } });
    assert.equal(bad["code"], "invalid_argument");
    assert.match(String(bad["message"]), /no type/);
    await eventually(() => processesWith(rigd.marker).length === 0 && leftoverTempDirs(rigd.rigDir).length === 0);
  });

  it("does the same with grpcurl and no proto files, streaming events until environment.up", async () => {
    const { stdout: services } = await run("grpcurl", ["-plaintext", "-H", `authorization: Bearer ${rigd.token}`, rigd.address, "list"]);
    assert.match(services, /rig\.v1\.EnvironmentService/);
    assert.match(services, /grpc\.health\.v1\.Health/);
    const id = (await grpcurl("CreateEnvironment", { spec: chainSpec("grpcurl") }))["environmentId"] as string;
    // A server stream: grpcurl prints every event; the env is up once environment.up is among them.
    const watch = execFile("grpcurl", ["-plaintext", "-H", `authorization: Bearer ${rigd.token}`, "-d", JSON.stringify({ environmentId: id }), rigd.address, "rig.v1.EnvironmentService/WatchEvents"]);
    const watchExited = new Promise((r) => watch.once("exit", r));
    let out = "";
    watch.stdout?.on("data", (d: Buffer) => (out += d.toString()));
    await eventually(() => out.includes('"environment.up"'), 20_000, "environment.up on the grpcurl stream");
    assert.ok(out.indexOf('"environment.created"') < out.indexOf('"service.ready"'));
    const env = (await grpcurl("GetEnvironment", { environmentId: id }))["environment"] as EnvJson;
    assert.equal(await frontAnswer(env), "front>back");
    await grpcurl("DestroyEnvironment", { environmentId: id });
    await eventually(() => out.includes('"environment.down"'), 20_000, "environment.down on the stream");
    await watchExited; // the stream ends after environment.down
    await eventually(() => processesWith(rigd.marker).length === 0 && leftoverTempDirs(rigd.rigDir).length === 0);
  });
});
