/**
 * The orchestrator end to end: a real rigd process, real child processes, real
 * sockets, driven through the generated gRPC client.
 */
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, afterEach, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { EnvironmentState, SpecProblemsSchema } from "../gen/rig/v1/environment_service_pb.js";
import { CallbackKind, DownReason, type Event } from "../gen/rig/v1/event_pb.js";
import { Protocol, ReadinessKind } from "../gen/rig/v1/spec_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import {
  collectEvents,
  eventually,
  FIXTURES,
  leftoverTempDirs,
  processesWith,
  spec,
  startRigd,
  type Rigd,
} from "../testing/rigd-harness.js";
import { payloadOf } from "../testing/environment-events.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

const CHAIN = join(FIXTURES, "chain-server.js");
const GRPC_HEALTH = join(FIXTURES, "grpc-health-server.js");

let rigd: Rigd;

/** A process service running the chain fixture, tagged with the rigd marker. */
function chain(name: string, next?: string, extra: string[] = [], more: Record<string, unknown> = {}): ServiceInit {
  return {
    name,
    egresses: next ? [{ name: "next", service: next }] : [],
    config: { case: "process", value: { command: process.execPath, args: [CHAIN, rigd.marker, ...extra] } },
    ...more,
  } as ServiceInit;
}

function indexOf(events: readonly Event[], type: string, service = ""): number {
  const i = events.findIndex((e) => e.type === type && e.service === service);
  assert.ok(i >= 0, `no ${type} for "${service}"`);
  return i;
}

async function expectNoLeaks(): Promise<void> {
  await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "service processes to exit");
  await eventually(() => leftoverTempDirs(rigd.rigDir).length === 0, 10_000, "temp dirs to be removed");
}

async function destroy(id: string): Promise<void> {
  await rigd.client.destroyEnvironment({ environmentId: id });
}

before(async () => {
  rigd = await startRigd(["--orphan-grace", "30s"]);
});

after(async () => {
  await rigd.stop();
});

// A failed assertion must not leave its environment running into the next test's leak check.
afterEach(async () => {
  const { environments } = await rigd.client.listEnvironments({});
  await Promise.all(environments.map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
});

describe("a chain of three process services", () => {
  it("starts in dependency order, wires exactly the SPEC §7 vars, serves a request through the chain and tears down in reverse", async () => {
    const hostEnv = { PATH: process.env.PATH ?? "", CHAIN_TEST: "1" };
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "chain", hostEnv, services: [chain("a", "b"), chain("b", "c"), chain("c")] }),
    });
    const events = await collectEvents(rigd, id, undefined, { includeLogs: true });
    assert.equal(events.at(-1)?.type, "environment.up", events.map((e) => e.type).join(", "));
    assert.equal(events[0]?.type, "environment.created");
    events.forEach((e, i) => assert.equal(e.seq, BigInt(i + 1), "gapless sequence"));

    const lifecycle = ["ingress.published", "wiring.resolved", "service.prestart", "service.starting", "service.healthy", "service.init", "service.ready"];
    for (const svc of ["a", "b", "c"]) {
      const order = lifecycle.map((t) => indexOf(events, t, svc));
      assert.deepEqual(order, [...order].sort((x, y) => x - y), `${svc} lifecycle in documented order`);
    }
    assert.ok(indexOf(events, "service.ready", "c") < indexOf(events, "ingress.published", "b"), "c ready before b starts");
    assert.ok(indexOf(events, "service.ready", "b") < indexOf(events, "ingress.published", "a"), "b ready before a starts");

    const up = payloadOf(events, "environmentUp");
    const ep = (s: string) => up.services[s]?.ingresses["default"];
    assert.equal(ep("a")?.protocol, Protocol.HTTP);
    const res = await fetch(`http://${ep("a")?.host}:${ep("a")?.port}/`);
    assert.equal(await res.text(), "a>b>c");

    const envOf = async (s: string): Promise<Record<string, string>> =>
      (await (await fetch(`http://${ep(s)?.host}:${ep(s)?.port}/env`)).json()) as Record<string, string>;
    // RIG_PROCESS_TREE: the marker that lets rigd find every descendant at teardown.
    const base = ["RIG_WIRING", "RIG_SERVICE", "RIG_TEMP_DIR", "RIG_ENV_DIR", "RIG_PROCESS_TREE", "HOST", "PORT", ...Object.keys(hostEnv)];
    const envA = await envOf("a");
    const envC = await envOf("c");
    assert.deepEqual(Object.keys(envA).sort(), [...base, "NEXT_HOST", "NEXT_PORT"].sort());
    assert.deepEqual(Object.keys(envC).sort(), [...base].sort());
    assert.equal(envA["RIG_SERVICE"], "a");
    assert.equal(envA["PORT"], String(ep("a")?.port));
    assert.equal(envA["NEXT_PORT"], String(ep("b")?.port));
    const wiring = JSON.parse(envA["RIG_WIRING"] as string) as {
      ingresses: Record<string, { port: number; protocol: string }>;
      egresses: Record<string, { host: string; port: number }>;
      temp_dir: string;
      env_dir: string;
    };
    assert.equal(wiring.ingresses["default"]?.port, ep("a")?.port);
    assert.equal(wiring.ingresses["default"]?.protocol, "http");
    assert.equal(wiring.egresses["next"]?.port, ep("b")?.port);
    assert.equal(wiring.temp_dir, envA["RIG_TEMP_DIR"]);
    assert.equal(envA["RIG_ENV_DIR"], envC["RIG_ENV_DIR"], "one env dir per environment");
    assert.notEqual(envA["RIG_TEMP_DIR"], envC["RIG_TEMP_DIR"], "one temp dir per service");
    assert.ok(existsSync(envA["RIG_TEMP_DIR"] as string));

    const state = (await rigd.client.getEnvironment({ environmentId: id })).environment;
    assert.equal(state?.state, EnvironmentState.UP);
    assert.deepEqual(state?.services.filter((s) => !s.internal).map((s) => s.name).sort(), ["a", "b", "c"]);

    const destroyed = await rigd.client.destroyEnvironment({ environmentId: id });
    assert.equal(destroyed.down?.reason, DownReason.DESTROYED);
    assert.ok(existsSync(destroyed.eventLogPath), "event log written");
    const all = (await collectEvents(rigd, id, () => false)).map((e) => e);
    assert.equal(all.at(-1)?.type, "environment.down");
    const stopped = (s: string) => indexOf(all, "service.stopped", s);
    const stopping = (s: string) => indexOf(all, "service.stopping", s);
    assert.ok(stopped("a") < stopping("b") && stopped("b") < stopping("c"), "reverse dependency order");
    assert.ok(indexOf(all, "environment.up") < stopping("a"));
    await expectNoLeaks();
    assert.equal(existsSync(envA["RIG_TEMP_DIR"] as string), false, "temp dir removed");
  });
});

describe("teardown order", () => {
  it("stops what the order allows at once: two dependents together, their shared dependency once both are gone", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "fan-in", hostEnv: { PATH: process.env.PATH ?? "" }, services: [chain("a", "c"), chain("b", "c"), chain("c")] }),
    });
    await collectEvents(rigd, id);
    await destroy(id);
    const all = await collectEvents(rigd, id, () => false);
    const stopped = (s: string) => indexOf(all, "service.stopped", s);
    const stopping = (s: string) => indexOf(all, "service.stopping", s);
    assert.ok(stopping("a") < stopped("b") && stopping("b") < stopped("a"), "a and b stop together, neither waits for the other");
    assert.ok(Math.max(stopped("a"), stopped("b")) < stopping("c"), "c stops after both of its dependents");
    assert.ok(stopped("c") < indexOf(all, "environment.down"));
    await expectNoLeaks();
  });
});

describe("readiness", () => {
  it("checks a grpc-js server through grpc.health.v1 until it reports SERVING", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "grpc",
        services: [
          {
            name: "greeter",
            ingresses: [{ protocol: Protocol.GRPC }],
            config: { case: "process", value: { command: process.execPath, args: [GRPC_HEALTH, "--not-serving-checks", "2", rigd.marker] } },
          },
        ],
      }),
    });
    const events = await collectEvents(rigd, id);
    assert.equal(events.at(-1)?.type, "environment.up");
    // The server's output may trail the readiness answer through its pipe: read the log until it is there.
    let lines: string[] = [];
    await eventually(async () => {
      const log = await Array.fromAsync(rigd.client.getLog({ environmentId: id }));
      lines = log.flatMap((r) => (r.event?.payload.case === "serviceLog" ? [r.event.payload.value.line] : []));
      return lines.includes("health check -> SERVING");
    }, 5_000, "the SERVING check in the log");
    assert.deepEqual(lines.slice(0, 3), ["health check -> NOT_SERVING", "health check -> NOT_SERVING", "health check -> SERVING"]);
    await destroy(id);
    await expectNoLeaks();
  });

  it("fails the environment cleanly when a grpc server never reports SERVING", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "grpc-never",
        services: [
          {
            name: "greeter",
            ingresses: [{ protocol: Protocol.GRPC, ready: { timeout: { seconds: 1n } } }],
            config: { case: "process", value: { command: process.execPath, args: [GRPC_HEALTH, "--not-serving-checks", "never", rigd.marker] } },
          },
        ],
      }),
    });
    const events = await collectEvents(rigd, id);
    const down = payloadOf(events, "environmentDown");
    assert.equal(down.reason, DownReason.FAILED);
    assert.equal(down.failedService, "greeter");
    assert.match(down.summary, /readiness check of ingress "default" \(grpc on 127\.0\.0\.1:\d+\) failed: .*NOT_SERVING/);
    await destroy(id);
    await expectNoLeaks();
  });

  it("fails with the readiness timeout and the last probe result when HTTP never gets below 500", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "http-503",
        services: [chain("api", undefined, ["--status", "503"], { ingresses: [{ ready: { timeout: { seconds: 1n }, httpPath: "/health" } }] })],
      }),
    });
    const down = payloadOf(await collectEvents(rigd, id), "environmentDown");
    assert.equal(down.failedService, "api");
    assert.match(down.summary, /not ready after .*GET \/health -> 503/);
    await destroy(id);
    await expectNoLeaks();
  });

  it("honours readiness kind none", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "none",
        services: [chain("api", undefined, ["--status", "503"], { ingresses: [{ ready: { kind: ReadinessKind.NONE } }] })],
      }),
    });
    assert.equal((await collectEvents(rigd, id)).at(-1)?.type, "environment.up");
    await destroy(id);
    await expectNoLeaks();
  });
});

describe("failures", () => {
  it("names a service that exits 1 during start, shows its stderr tail, and leaves nothing running", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "crash",
        services: [chain("db"), chain("bad", "db", ["--fail-start", "1"]), chain("api", "bad")],
      }),
    });
    const events = await collectEvents(rigd, id, (e) => e.type === "environment.down");
    const failed = payloadOf(events, "serviceFailed");
    assert.match(failed.reason, /exited with code 1/);
    assert.ok(failed.stderrTail.some((l) => l.includes("fatal: cannot open config file")));
    assert.ok(indexOf(events, "service.failed", "bad") < indexOf(events, "environment.failing"));
    const down = payloadOf(events, "environmentDown");
    assert.equal(down.reason, DownReason.FAILED);
    assert.equal(down.failedService, "bad");
    assert.match(down.summary, /service "bad" failed/);
    assert.match(down.summary, /fatal: cannot open config file \/nonexistent\/bad\.toml/);
    assert.equal(events.some((e) => e.type === "service.starting" && e.service === "api"), false, "dependent never started");
    assert.ok(events.some((e) => e.type === "service.stopped" && e.service === "db"), "started dependency stopped");
    assert.deepEqual(processesWith(rigd.marker), [], "nothing left running once down");
    // Dirs stay until the client destroys (so it can still preserve them for inspection).
    await destroy(id);
    await expectNoLeaks();
  });

  it("reports a command that does not exist", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "enoent", services: [{ name: "ghost", config: { case: "process", value: { command: "./no-such-binary" } } }] }),
    });
    const down = payloadOf(await collectEvents(rigd, id), "environmentDown");
    assert.match(down.summary, /cannot start ".*no-such-binary".*no such file/);
    await destroy(id);
  });

  it("kills the whole process group, even a child that ignores SIGTERM", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "stubborn",
        services: [
          {
            name: "sh",
            ingresses: [{ ready: { kind: ReadinessKind.NONE } }],
            config: {
              case: "process",
              value: {
                command: "/bin/sh",
                args: ["-c", `${process.execPath} ${CHAIN} ${rigd.marker} --ignore-sigterm & wait`],
                stopGrace: { nanos: 300_000_000 },
              },
            },
          },
        ],
      }),
    });
    assert.equal((await collectEvents(rigd, id)).at(-1)?.type, "environment.up");
    await eventually(() => processesWith(rigd.marker).length >= 1, 5_000, "the child to start");
    await destroy(id);
    await expectNoLeaks();
  });
});

describe("validation", () => {
  const invalid = async (init: Parameters<typeof spec>[0]): Promise<ConnectError> => {
    try {
      await rigd.client.createEnvironment({ spec: spec(init) });
    } catch (err) {
      const e = ConnectError.from(err);
      assert.equal(e.code, Code.InvalidArgument, e.message);
      return e;
    }
    assert.fail("expected INVALID_ARGUMENT");
  };
  const proc = (name: string, more: Record<string, unknown> = {}): ServiceInit =>
    ({ name, config: { case: "process", value: { command: "true" } }, ...more }) as ServiceInit;

  const cases: [string, Parameters<typeof spec>[0], RegExp][] = [
    ["empty spec", {}, /no services/],
    ["no type", { services: [{ name: "x" }] }, /no type: set exactly one of process/],
    ["unknown custom type", { services: [{ name: "x", config: { case: "custom", value: { type: "kafka9" } } }] }, /unknown type "kafka9"/],
    ["missing required config", { services: [{ name: "x", config: { case: "process", value: {} } }] }, /process\.command is required/],
    ["client without handler", { services: [{ name: "x", config: { case: "client", value: {} } }] }, /client\.start_handler is required/],
    ["egress to unknown service", { services: [proc("a", { egresses: [{ service: "nope" }] })] }, /unknown service "nope"/],
    [
      "egress to unknown ingress",
      { services: [proc("a", { egresses: [{ service: "b", ingress: "metrics" }] }), proc("b")] },
      /unknown ingress "metrics" of "b" \(it has: default\)/,
    ],
    [
      "ambiguous egress",
      { services: [proc("a", { egresses: [{ service: "b" }] }), proc("b", { ingresses: [{ name: "api" }, { name: "admin" }] })] },
      /ambiguous egress: "b" has several ingresses \(api, admin\)/,
    ],
    [
      "dependency cycle",
      {
        services: [
          proc("a", { egresses: [{ service: "b" }] }),
          proc("b", { egresses: [{ service: "c" }] }),
          proc("c", { egresses: [{ service: "a" }] }),
        ],
      },
      /dependency cycle: a -> b -> c -> a/,
    ],
    ["duplicate service names", { services: [proc("a"), proc("a")] }, /duplicate service name "a"/],
    ["malformed name", { services: [proc("Bad Name")] }, /service name "Bad Name" is malformed/],
    ["duplicate ingress names", { services: [proc("a", { ingresses: [{ name: "x" }, { name: "x" }] })] }, /duplicate ingress name "x"/],
    ["negative duration", { ttl: { seconds: -5n }, services: [proc("a")] }, /ttl: duration must not be negative/],
    ["malformed duration", { services: [proc("a", { ingresses: [{ ready: { timeout: { seconds: 1n, nanos: -5 } } }] })] }, /different signs/],
    [
      "unknown template variable",
      { services: [{ name: "a", config: { case: "process", value: { command: "true", args: ["--db=${DB_HOST}"] } } }] },
      /unknown variable \$\{DB_HOST\}/,
    ],
    [
      "unknown attribute template variable",
      { services: [proc("a", { ingresses: [{ attributes: { URL: "http://${HOSTNAME}/" } }] })] },
      /unknown variable \$\{HOSTNAME\}/,
    ],
    ["sql hook on a process", { services: [proc("a", { init: [{ action: { case: "sql", value: { statements: ["select 1"] } } }] })] }, /sql hooks are not supported by type "process"/],
  ];
  for (const [name, init, pattern] of cases) {
    it(`rejects ${name}`, async () => {
      const err = await invalid(init);
      assert.match(err.rawMessage, pattern);
      const details = err.findDetails(SpecProblemsSchema);
      assert.equal(details.length, 1, "a SpecProblems detail");
      assert.ok(details[0]?.problems.some((p) => pattern.test(p.message) || pattern.test(`${p.path}: ${p.message}`)));
    });
  }

  it("lists every problem of a spec with three problems", async () => {
    const err = await invalid({
      services: [
        proc("a", { egresses: [{ service: "ghost" }] }),
        { name: "b", config: { case: "process", value: {} } },
        proc("a"),
      ],
    });
    const problems = err.findDetails(SpecProblemsSchema)[0]?.problems ?? [];
    assert.equal(problems.length, 3, problems.map((p) => p.message).join("\n"));
    assert.match(err.rawMessage, /unknown service "ghost"/);
    assert.match(err.rawMessage, /process\.command is required/);
    assert.match(err.rawMessage, /duplicate service name "a"/);
    assert.match(err.rawMessage, /services\[1\]\(b\)/, "problems say where");
  });

  it("still checks the egresses of an unnamed or duplicate service", async () => {
    const err = await invalid({
      services: [{ config: { case: "process", value: { command: "true" } }, egresses: [{ service: "zzz" }] }, proc("a"), proc("a", { egresses: [{ service: "yyy" }] })],
    });
    assert.match(err.rawMessage, /services\[0\]\.name: name is required/);
    assert.match(err.rawMessage, /unknown service "zzz"/);
    assert.match(err.rawMessage, /unknown service "yyy"/);
  });

  it("rejects an unparsable duration in Connect JSON with INVALID_ARGUMENT", async () => {
    const res = await fetch(`http://${rigd.address}/rig.v1.EnvironmentService/CreateEnvironment`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${rigd.token}` },
      body: JSON.stringify({ spec: { ttl: "5 minutes", services: [{ name: "a", process: { command: "true" } }] } }),
    });
    const body = (await res.json()) as { code: string; message: string };
    assert.equal(body.code, "invalid_argument");
    assert.match(body.message, /Duration|duration/);
  });

  it("answers NOT_FOUND for an unknown environment", async () => {
    await assert.rejects(rigd.client.getEnvironment({ environmentId: "nope-123" }), (err: unknown) => {
      assert.equal(ConnectError.from(err).code, Code.NotFound);
      return true;
    });
  });
});

describe("scale", () => {
  it("runs 20 environments from one spec in parallel with no shared port and nothing left behind", async () => {
    const s = spec({ name: "par", services: [chain("front", "back"), chain("back")] });
    const ids = await Promise.all(Array.from({ length: 20 }, async () => (await rigd.client.createEnvironment({ spec: s })).environmentId));
    const ups = await Promise.all(ids.map((id) => collectEvents(rigd, id)));
    for (const events of ups) assert.equal(events.at(-1)?.type, "environment.up", events.map((e) => e.type).join(","));
    const ports = ups.flatMap((events) => {
      const up = payloadOf(events, "environmentUp");
      return Object.values(up.services).flatMap((s) => Object.values(s.ingresses).map((e) => e.port));
    });
    assert.equal(ports.length, 40);
    assert.equal(new Set(ports).size, 40, "no port shared");
    const listed = (await rigd.client.listEnvironments({})).environments.map((e) => e.id);
    for (const id of ids) assert.ok(listed.includes(id));
    await Promise.all(ids.map(destroy));
    await expectNoLeaks();
  });
});

describe("event streams", () => {
  it("resumes WatchEvents after after_seq without gaps or duplicates", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name: "resume", services: [chain("a", "b"), chain("b")] }) });
    const first = await collectEvents(rigd, id, (e) => e.seq === 5n, { includeLogs: true });
    const rest = await collectEvents(rigd, id, undefined, { afterSeq: 5n, includeLogs: true });
    const joined = [...first, ...rest].map((e) => e.seq);
    assert.deepEqual(joined, joined.map((_, i) => BigInt(i + 1)));
    await destroy(id);
    const log = (await Array.fromAsync(rigd.client.getLog({ environmentId: id }))).map((r) => r.event?.seq);
    assert.deepEqual(log, log.map((_, i) => BigInt(i + 1)), "GetLog holds every event");
    assert.ok(log.length > joined.length);
  });

  it("publishes progress.stall with a per-service snapshot when nothing happens", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "stall", stallTimeout: { nanos: 300_000_000 }, services: [chain("slow", undefined, ["--delay-ms", "1500"])] }),
    });
    const events = await collectEvents(rigd, id);
    assert.equal(events.at(-1)?.type, "environment.up");
    const stall = payloadOf(events, "progressStall");
    assert.equal(stall.services[0]?.service, "slow");
    assert.match(stall.services[0]?.waitingFor ?? "", /readiness of default/);
    assert.match(stall.message, /no progress for/);
    await destroy(id);
  });
});

describe("environment end of life", () => {
  it("destroys an environment nobody watches after the orphan grace", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "orphan", orphanGrace: { seconds: 1n }, services: [chain("a")] }),
    });
    // A client that watches, then vanishes.
    const controller = new AbortController();
    const stream = rigd.client.watchEvents({ environmentId: id }, { signal: controller.signal });
    for await (const res of stream) if (res.event?.type === "environment.up") break;
    controller.abort();
    await eventually(async () => (await rigd.client.getEnvironment({ environmentId: id })).environment?.state === EnvironmentState.DOWN, 10_000, "orphan teardown");
    const env = (await rigd.client.getEnvironment({ environmentId: id })).environment;
    assert.equal(env?.down?.reason, DownReason.ORPHANED);
    await expectNoLeaks();
  });

  it("destroys an environment when its TTL passes", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "ttl", ttl: { seconds: 1n }, services: [chain("a")] }),
    });
    const events = await collectEvents(rigd, id, (e) => e.type === "environment.down");
    assert.equal(payloadOf(events, "environmentDown").reason, DownReason.TTL_EXPIRED);
    await expectNoLeaks();
  });

  it("keeps dirs when destroy asks to preserve them", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name: "keep", services: [chain("a")] }) });
    await collectEvents(rigd, id);
    const res = await rigd.client.destroyEnvironment({ environmentId: id, preserve: true, testFailed: true, reason: "assertion failed" });
    assert.equal(res.preserved, true);
    assert.ok(existsSync(res.tempDirs["a"] as string));
    assert.ok(existsSync(res.envDir));
    const log = (await Array.fromAsync(rigd.client.getLog({ environmentId: id }))).map((r) => r.event);
    const destroying = log.find((e) => e?.payload.case === "environmentDestroying");
    assert.equal(destroying?.payload.case === "environmentDestroying" && destroying.payload.value.testFailed, true);
    await eventually(() => processesWith(rigd.marker).length === 0, 10_000, "processes to exit");
    rmSync(join(rigd.rigDir, "tmp", id), { recursive: true }); // preserved on purpose; later tests check for leaks
  });
});

describe("client callbacks", () => {
  /** Watches an environment and answers every callback with `answer` (undefined = never answer). */
  async function watchAnswering(id: string, answer: (e: Event) => Promise<string | undefined>): Promise<Event[]> {
    const events: Event[] = [];
    for await (const res of rigd.client.watchEvents({ environmentId: id })) {
      const e = res.event;
      if (!e) continue;
      events.push(e);
      if (e.payload.case === "callbackRequest") {
        const error = await answer(e);
        if (error !== undefined) {
          await rigd.client.postEvent({
            environmentId: id,
            service: e.service,
            event: { case: "callbackResponse", value: { requestId: e.payload.value.requestId, error } },
          });
        }
      }
      if (e.type === "environment.up" || e.type === "environment.down") break;
    }
    return events;
  }

  it("runs a prestart hook with the wiring and fails the service with the hook's error", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "hooks",
        services: [chain("api", undefined, [], { prestart: [{ action: { case: "clientFunc", value: { name: "seed" } } }] })],
      }),
    });
    let seenWiringPort = 0;
    const events = await watchAnswering(id, async (e) => {
      if (e.payload.case !== "callbackRequest") return "";
      assert.equal(e.payload.value.kind, CallbackKind.HOOK);
      assert.equal(e.payload.value.phase, "prestart");
      seenWiringPort = e.payload.value.wiring?.ingresses["default"]?.port ?? 0;
      return "seed data missing";
    });
    assert.ok(seenWiringPort > 0, "the hook got the wiring");
    const down = payloadOf(events, "environmentDown");
    assert.equal(down.failedService, "api");
    assert.match(down.summary, /prestart hook "seed" failed: seed data missing/);
    await destroy(id);
    await expectNoLeaks();
  });

  it("fails the service after the callback timeout when the client never answers", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({
        name: "silent",
        callbackTimeout: { seconds: 1n },
        services: [chain("api", undefined, [], { init: [{ action: { case: "clientFunc", value: { name: "migrate" } } }] })],
      }),
    });
    const events = await watchAnswering(id, async () => undefined);
    const down = payloadOf(events, "environmentDown");
    assert.match(down.summary, /init hook "migrate" got no answer within 1s; the client may be gone/);
    await destroy(id);
    await expectNoLeaks();
  });

  it("starts a client service through a start callback and fails it on a later service_error", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({
      spec: spec({ name: "client-svc", services: [{ name: "fn", config: { case: "client", value: { startHandler: "serve" } } }] }),
    });
    let server: Server | undefined;
    const events = await watchAnswering(id, async (e) => {
      if (e.payload.case !== "callbackRequest") return "";
      assert.equal(e.payload.value.kind, CallbackKind.START);
      const port = e.payload.value.wiring?.ingresses["default"]?.port ?? 0;
      server = createServer((_, res) => res.end("from the test process"));
      await new Promise<void>((r) => server?.listen(port, "127.0.0.1", r));
      return "";
    });
    assert.equal(events.at(-1)?.type, "environment.up");
    const ep = payloadOf(events, "environmentUp").services["fn"]?.ingresses["default"];
    assert.equal(await (await fetch(`http://127.0.0.1:${ep?.port}/`)).text(), "from the test process");
    await rigd.client.postEvent({ environmentId: id, service: "fn", event: { case: "serviceError", value: { error: "worker crashed: ENOMEM" } } });
    const rest = await collectEvents(rigd, id, (e) => e.type === "environment.down");
    assert.match(payloadOf(rest, "environmentDown").summary, /service "fn" failed.*worker crashed: ENOMEM/);
    server?.close();
    await destroy(id);
  });

  it("rejects an answer to a callback that is not pending", async () => {
    const { environmentId: id } = await rigd.client.createEnvironment({ spec: spec({ name: "stale", services: [chain("a")] }) });
    await assert.rejects(
      rigd.client.postEvent({ environmentId: id, event: { case: "callbackResponse", value: { requestId: "nope" } } }),
      (err: unknown) => ConnectError.from(err).code === Code.FailedPrecondition,
    );
    await destroy(id);
  });
});

