/**
 * What a user reads when something goes wrong, and behaviour a new user tripped over
 * (issue 9): a real rigd process, real child processes, the generated client, curl.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { promisify } from "node:util";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { ServicePhase } from "../gen/rig/v1/environment_service_pb.js";
import type { Event } from "../gen/rig/v1/event_pb.js";
import { Protocol, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { collectEvents, eventually, FIXTURES, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const CHAIN = join(FIXTURES, "chain-server.js");
const run = promisify(execFile);
let rigd: Rigd;

function chain(name: string, args: string[] = [], more: Partial<ServiceInit> = {}): ServiceInit {
  return {
    name,
    config: { case: "process", value: { command: process.execPath, args: [CHAIN, rigd.marker, ...args] } },
    ...more,
  } as ServiceInit;
}

function downOf(events: readonly Event[]): Extract<Event["payload"], { case: "environmentDown" }>["value"] {
  const last = events.at(-1);
  assert.ok(last?.payload.case === "environmentDown", `expected environment.down, got ${last?.type}`);
  return last.payload.value;
}

async function invalid(init: Parameters<typeof spec>[0]): Promise<string> {
  const err = await rigd.client.createEnvironment({ spec: spec(init) }).then(
    () => assert.fail("expected INVALID_ARGUMENT"),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, Code.InvalidArgument, err.message);
  return err.rawMessage;
}

before(async () => {
  rigd = await startRigd(["--orphan-grace", "1s"]);
});
after(async () => {
  await rigd.stop();
});
afterEach(async () => {
  const { environments } = await rigd.client.listEnvironments({});
  await Promise.all(environments.map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
});

describe("failure messages", () => {
  it("a readiness timeout quotes stdout and says where the service listens instead", async () => {
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "wrong-port",
        services: [chain("api", ["--wrong-port"], { ingresses: [{ ready: { timeout: durationFromMs(1500) } }] })],
      }),
    });
    const down = downOf(await collectEvents(rigd, environmentId));
    const port = /not on PORT=(\d+)/.exec(down.summary)?.[1];
    assert.ok(port, down.summary);
    assert.match(down.summary, /service "api" failed while starting: readiness check of ingress "default"/);
    assert.match(down.summary, new RegExp(`api listens on 127\\.0\\.0\\.1:(\\d+), not on PORT=${port}`));
    assert.match(down.summary, /--- last 1 output lines of api ---\nServing HTTP on 127\.0\.0\.1 port \d+/);
  });

  it("names the phase as words and keeps one sentence per reason", async () => {
    const ttl = await rigd.client.createEnvironment({
      spec: spec({ name: "ttl", ttl: durationFromMs(500), services: [chain("a")] }),
    });
    const ttlDown = downOf(await collectEvents(rigd, ttl.environmentId, (e) => e.type === "environment.down"));
    assert.equal(ttlDown.summary, "its TTL of 0.5s expired");

    const orphan = await rigd.client.createEnvironment({ spec: spec({ name: "orphan", services: [chain("a")] }) });
    await eventually(async () => {
      const env = await rigd.client.getEnvironment({ environmentId: orphan.environmentId });
      return env.environment?.down !== undefined;
    }, 10_000, "the orphan grace to pass");
    const orphanDown = (await rigd.client.getEnvironment({ environmentId: orphan.environmentId })).environment!.down!;
    assert.equal(orphanDown.summary, "no client watched it for 1s");

    const failed = await rigd.client.createEnvironment({ spec: spec({ name: "failed", services: [chain("a")] }) });
    await collectEvents(rigd, failed.environmentId);
    const res = await rigd.client.destroyEnvironment({ environmentId: failed.environmentId, testFailed: true, reason: "test failed" });
    assert.equal(res.down?.summary, "destroyed by the client after its test failed");
  });

  it("a service that never started ends as NOT_STARTED, not PENDING", async () => {
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "never",
        services: [chain("db", ["--fail-start", "3"]), chain("api", [], { egresses: [{ service: "db" }] })],
      }),
    });
    const down = downOf(await collectEvents(rigd, environmentId));
    assert.equal(down.failedService, "db");
    const env = (await rigd.client.getEnvironment({ environmentId })).environment!;
    const phases = Object.fromEntries(env.services.filter((s) => !s.internal).map((s) => [s.name, ServicePhase[s.phase]]));
    assert.deepEqual(phases, { db: "FAILED", api: "NOT_STARTED" });
  });
});

describe("traffic in rig.log", () => {
  it("renders every request as one line and names proxies by their edge", async () => {
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "traffic",
        observe: true,
        services: [chain("pricing"), chain("api", [], { egresses: [{ name: "next", service: "pricing" }] })],
      }),
    });
    const events = await collectEvents(rigd, environmentId);
    const up = events.at(-1);
    assert.ok(up?.payload.case === "environmentUp", up?.type);
    const api = up.payload.value.services["api"]?.ingresses["default"];
    assert.ok(api);
    const res = await fetch(`http://${api.host}:${api.port}/?item=plum`);
    assert.equal(await res.text(), "api>pricing");
    const done = await rigd.client.destroyEnvironment({ environmentId });
    const log = readFileSync(done.logPath, "utf8");
    assert.match(log, /http ~test -> api GET \/\?item=plum 200 \d+(\.\d+)? (ms|s)\n/);
    assert.match(log, /http api -> pricing GET \/ 200 \d+(\.\d+)? (ms|s)\n/);
    assert.match(log, /\[api -> pricing\] service\.ready/);
    assert.doesNotMatch(log, /~proxy\./);
  });
});

describe("spec rules", () => {
  it("rejects an unknown field in Connect JSON, naming it", async () => {
    const { stdout } = await run("curl", [
      "--silent",
      "-H",
      "content-type: application/json",
      "-H",
      `authorization: Bearer ${rigd.token}`,
      "-d",
      JSON.stringify({ spec: { services: [{ name: "a", proces: { command: "true" } }] } }),
      `http://${rigd.address}/rig.v1.EnvironmentService/CreateEnvironment`,
    ]);
    const body = JSON.parse(stdout) as { code: string; message: string };
    assert.equal(body.code, "invalid_argument");
    assert.match(body.message, /rig\.v1\.Service.*"proces"/);
  });

  it("rejects an egress whose variables collide with an own ingress, pointing at its name", async () => {
    const message = await invalid({
      services: [
        chain("db"),
        chain("api", [], {
          ingresses: [{ name: "default" }, { name: "db", protocol: Protocol.TCP }],
          egresses: [{ service: "db" }],
        }),
      ],
    });
    assert.match(
      message,
      /services\[1\]\(api\)\.egresses\[0\]\.name: egress "db" and its own ingress "db" would both set DB_HOST, DB_PORT, \.\.\.; give the egress another name/,
    );
  });

  it("takes $${x} as a literal ${x}", async () => {
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "literal",
        services: [
          {
            name: "sh",
            noIngress: true,
            config: { case: "process", value: { command: "sh", args: ["-c", "x=hi; echo $${x} > ${RIG_TEMP_DIR}/out; sleep 30", rigd.marker] } },
          },
        ],
      }),
    });
    await collectEvents(rigd, environmentId);
    const env = (await rigd.client.getEnvironment({ environmentId })).environment!;
    const dir = env.services.find((s) => s.name === "sh")!.tempDir;
    await eventually(() => existsSync(join(dir, "out")), 5_000, "the script to write");
    assert.equal(readFileSync(join(dir, "out"), "utf8"), "hi\n");
  });

  it("an explicit readiness path needs 2xx or 3xx; the default / takes anything below 500", async () => {
    const lenient = await rigd.client.createEnvironment({ spec: spec({ name: "lenient", services: [chain("a", ["--status", "404"])] }) });
    assert.equal((await collectEvents(rigd, lenient.environmentId)).at(-1)?.type, "environment.up");

    const strict = await rigd.client.createEnvironment({
      spec: spec({
        name: "strict",
        services: [chain("a", ["--status", "404"], { ingresses: [{ ready: { httpPath: "/healthz", timeout: durationFromMs(1000) } }] })],
      }),
    });
    const down = downOf(await collectEvents(rigd, strict.environmentId));
    assert.match(down.summary, /GET \/healthz -> 404/);
  });
});
