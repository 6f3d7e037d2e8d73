/**
 * One environment can never take rigd down (issue 18): huge graphs, runaway output,
 * process trees that leave their group, and limits with clear errors. A real rigd
 * process, real child processes.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EnvironmentService, ServicePhase } from "../gen/rig/v1/environment_service_pb.js";
import { ReadinessKind, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { bearer, collectEvents, eventually, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

let rigd: Rigd;

/** A service running `sh -c script`, tagged with the rigd marker, with no ingress. */
function sh(name: string, script: string, more: Partial<ServiceInit> = {}): ServiceInit {
  return {
    name,
    noIngress: true,
    config: { case: "process", value: { command: "sh", args: ["-c", script, rigd.marker] } },
    ...more,
  } as ServiceInit;
}

/** Whether the service wrote `done` into its temp dir (its script got that far). */
async function doneIn(environmentId: string, service: string): Promise<boolean> {
  const env = (await rigd.client.getEnvironment({ environmentId })).environment;
  const dir = env?.services.find((s) => s.name === service)?.tempDir;
  return dir !== undefined && existsSync(join(dir, "done"));
}

async function failsWith(code: Code, init: Parameters<typeof spec>[0]): Promise<string> {
  const err = await rigd.client.createEnvironment({ spec: spec(init) }).then(
    () => assert.fail(`expected ${Code[code]}`),
    (e: unknown) => ConnectError.from(e),
  );
  assert.equal(err.code, code, err.message);
  return err.rawMessage;
}

before(async () => {
  rigd = await startRigd([
    "--limit",
    "services=6000",
    "--limit",
    "environments=40",
    "--limit",
    "output-per-service=1MiB",
    "--limit",
    "processes=6000",
  ]);
});
after(async () => {
  await rigd.stop();
});
afterEach(async () => {
  const { environments } = await rigd.client.listEnvironments({});
  await Promise.all(environments.map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
});

describe("process trees", () => {
  it("kills descendants that left the process group (setsid, double fork, nohup) at destroy", async () => {
    const m = rigd.marker;
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "trees",
        services: [
          sh("setsid", `setsid sh -c 'sleep 171; true ${m}-a' & exec sleep 300`),
          sh("doublefork", `(sh -c 'sleep 172; true ${m}-b' &) ; exec sleep 300`),
          sh("nohup", `nohup sh -c 'sleep 173; true ${m}-c' >/dev/null 2>&1 & exec sleep 300`),
        ],
      }),
    });
    await collectEvents(rigd, environmentId);
    await eventually(() => ["-a", "-b", "-c"].every((s) => processesWith(`${m}${s}`).length === 1), 5_000, "the grandchildren to run");
    await rigd.client.destroyEnvironment({ environmentId });
    await eventually(() => processesWith(m).length === 0, 5_000, "every descendant to be gone");
  });
});

describe("graphs and limits", () => {
  /** A chain s0 <- s1 <- ... : each service has an egress to the one before it. */
  function chain(length: number, root: ServiceInit["config"], rest: ServiceInit["config"], rootReady = ReadinessKind.NONE): ServiceInit[] {
    return Array.from({ length }, (_, i) => ({
      name: `s${i}`,
      ingresses: [{ name: "default", ready: i === 0 ? { kind: rootReady, timeout: { seconds: 1n, nanos: 0 } } : { kind: ReadinessKind.NONE } }],
      egresses: i > 0 ? [{ service: `s${i - 1}` }] : [],
      config: i === 0 ? root : rest,
    })) as ServiceInit[];
  }

  it("validates, plans and tears down a dependency chain of 5,000 services and stays up", async () => {
    // The root fails at once, so teardown walks all 5,000 (the walk that once overflowed
    // the stack) without spawning 5,000 processes.
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({
        name: "chain5000",
        services: chain(
          5000,
          // Never listens: its readiness fails after 1 s, before anything depends on it.
          { case: "process", value: { command: "sh", args: ["-c", "sleep 30; true", rigd.marker] } },
          { case: "process", value: { command: "sleep", args: ["600"] } },
          ReadinessKind.TCP,
        ),
      }),
    });
    const events = await collectEvents(rigd, environmentId, undefined, { timeoutMs: 120_000 });
    const down = events.at(-1);
    assert.ok(down?.payload.case === "environmentDown", down?.type);
    assert.equal(down.payload.value.failedService, "s0");
    const res = await rigd.client.destroyEnvironment({ environmentId });
    assert.equal(res.down?.failedService, "s0");
    const env = (await rigd.client.getEnvironment({ environmentId })).environment!;
    assert.equal(env.services.filter((s) => !s.internal && ServicePhase[s.phase] === "NOT_STARTED").length, 4999);
  });

  it("brings up and tears down a chain of 300 real processes", { timeout: 180_000 }, async () => {
    const sleep = { case: "process" as const, value: { command: "sh", args: ["-c", "sleep 600; true", rigd.marker] } };
    const { environmentId } = await rigd.client.createEnvironment({ spec: spec({ name: "chain300", services: chain(300, sleep, sleep) }) });
    const events = await collectEvents(rigd, environmentId, undefined, { timeoutMs: 150_000 });
    assert.equal(events.at(-1)?.type, "environment.up");
    const stopped = await rigd.client.destroyEnvironment({ environmentId });
    assert.equal(stopped.down?.failedService, "");
    await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "every process to be gone");
    const { environments } = await rigd.client.listEnvironments({});
    assert.equal(environments.length, 0, "rigd still answers");
  });

  it("refuses more services than the limit, naming the flag", async () => {
    const services = Array.from({ length: 6001 }, (_, i) => sh(`s${i}`, "true"));
    const message = await failsWith(Code.ResourceExhausted, { services });
    assert.match(message, /the spec has 6001 services; this rigd allows at most 6000 per environment \(rigd --limit services=N\)/);
  });

  it("refuses a value over the length limit, quoting only its start", async () => {
    const message = await failsWith(Code.InvalidArgument, { services: [sh("big", "x".repeat(300_000))] });
    assert.match(message, /services\[0\]\.process\.args\[1\]: 300000 characters is over this rigd's limit of 262144/);
    assert.ok(message.length < 1000, `the message stays short (${message.length})`);
  });

  it("refuses environments over the limit", async () => {
    const created = await Promise.all(
      Array.from({ length: 40 }, (_, i) => rigd.client.createEnvironment({ spec: spec({ name: `e${i}`, services: [sh("a", "sleep 30")] }) })),
    );
    assert.equal(created.length, 40);
    const message = await failsWith(Code.ResourceExhausted, { name: "one-too-many", services: [sh("a", "sleep 30")] });
    assert.match(message, /already runs 40 environments, its limit \(rigd --limit environments=N\)/);
  });

  it("refuses a client's environments over its own limit while other clients go on", async () => {
    const own = await startRigd(["--limit", "environments-per-client=3"]);
    try {
      const as = (name: string | undefined) => {
        const header: Interceptor = (next) => (req) => {
          if (name) req.header.set("rig-client", name);
          return next(req);
        };
        return createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${own.address}`, interceptors: [bearer(own.token), header] }));
      };
      const [runaway, other, anonymous] = [as("ts pid 111"), as("go pid 222"), as(undefined)];
      const create = (client: typeof runaway, name: string) => client.createEnvironment({ spec: spec({ name, services: [sh("a", "sleep 30")] }) });
      const mine = await Promise.all([0, 1, 2].map((i) => create(runaway, `mine${i}`)));
      const refused = await create(runaway, "mine3").then(() => assert.fail("expected RESOURCE_EXHAUSTED"), (e: unknown) => ConnectError.from(e));
      assert.equal(refused.code, Code.ResourceExhausted);
      assert.match(refused.rawMessage, /this client \(ts pid 111\) already runs 3 environments in this rigd, the limit per client \(rigd --limit environments-per-client=N\)/);
      await create(other, "theirs");
      await Promise.all([0, 1, 2].map((i) => create(anonymous, `anon${i}`)));
      const anonymousRefused = await create(anonymous, "anon3").then(() => assert.fail("expected RESOURCE_EXHAUSTED"), (e: unknown) => ConnectError.from(e));
      assert.match(anonymousRefused.rawMessage, /clients that do not name themselves \(no rig-client header\) already run 3 environments/);
      // A slot freed is a slot again.
      await runaway.destroyEnvironment({ environmentId: mine[0]!.environmentId });
      await create(runaway, "mine4");
    } finally {
      await own.stop();
    }
  });
});

describe("runaway output", () => {
  it("200 MB without a newline costs one cut line", async () => {
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({ name: "noline", services: [sh("flood", "head -c 200000000 /dev/zero | tr '\\0' x; touch $${RIG_TEMP_DIR}/done; sleep 60")] }),
    });
    await collectEvents(rigd, environmentId);
    const log = await collectEvents(rigd, environmentId, (e) => e.payload.case === "serviceLog", { includeLogs: true, timeoutMs: 60_000 });
    const line = log.at(-1);
    assert.ok(line?.payload.case === "serviceLog");
    assert.match(line.payload.value.line, /^x{16384} \[rig: line cut at 16384 characters\]$/);
    // Wait until the 200 MB went through, then check nothing more was kept.
    await eventually(() => doneIn(environmentId, "flood"), 60_000, "the flood to end");
    const done = await rigd.client.destroyEnvironment({ environmentId });
    assert.ok(statSync(done.eventLogPath).size < 1_000_000, `events.jsonl is ${statSync(done.eventLogPath).size} bytes`);
  });

  it("output over the service's budget is counted and dropped, with one line saying so and one saying how much", async () => {
    const { environmentId } = await rigd.client.createEnvironment({
      spec: spec({ name: "chatty", services: [sh("chatty", "yes hello | head -c 5000000; touch $${RIG_TEMP_DIR}/done; sleep 60")] }),
    });
    await collectEvents(rigd, environmentId);
    await eventually(() => doneIn(environmentId, "chatty"), 30_000, "the output to end");
    const done = await rigd.client.destroyEnvironment({ environmentId });
    const text = readFileSync(done.logPath, "utf8");
    assert.match(text, /\[rig: reached this service's output limit of 1\.0 MiB \(rigd --limit output-per-service=N\); further output is counted, not kept\]/);
    assert.match(text, /\[rig: 4\.\d MiB of output over the limit were dropped\]/);
    assert.ok(statSync(done.logPath).size < 1_000_000, `rig.log is ${statSync(done.logPath).size} bytes`);
  });
});
