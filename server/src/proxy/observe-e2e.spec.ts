/**
 * Observation end to end: a real rigd (`node dist/main.js`), environments created over
 * its gRPC API with `observe: true`, real process services (a gRPC echo server with
 * reflection, an HTTP app that calls it, a TCP echo) and calls from the test itself.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rigdVersion } from "../rigd/rig-dir.js";
import { bearer, readRigdToken } from "../testing/rigd-harness.js";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { type Client, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { type Environment, EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import type { Endpoint, Event } from "../gen/rig/v1/event_pb.js";
import { EnvironmentSpecSchema, Protocol, type Service } from "../gen/rig/v1/spec_pb.js";
import { TRAFFIC } from "../events/event-filter.js";
import { echoClient } from "./testdata/echo-grpc.js";

const dist = fileURLToPath(new URL("../", import.meta.url));
const script = (name: string): string => join(dist, "proxy", "testdata", name);

/** Starts rigd on a free port in its own rig dir; resolves once it serves. */
async function startRigd(rigDir: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, [join(dist, "main.js"), "--rig-dir", rigDir, "--listen", "127.0.0.1:0", "--idle", "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const address = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /serving on (\S+)/.exec(out);
      if (match) resolve(match[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`rigd exited with ${code} before serving: ${out}`)));
  });
  return { child, address };
}

function processService(name: string, file: string, protocol: Protocol, extra: Partial<Service> = {}, env: Record<string, string> = {}): Service {
  return {
    name,
    ingresses: [{ name: "default", protocol }],
    config: { case: "process", value: { command: process.execPath, args: [script(file)], env } },
    ...extra,
  } as Service;
}

/** The shop: api (gRPC echo), echo (TCP), web (HTTP; calls api and echo). */
function shopSpec(name: string, observe: boolean, apiEnv: Record<string, string> = {}) {
  return create(EnvironmentSpecSchema, {
    name,
    observe,
    services: [
      processService("api", "echo-grpc-main.js", Protocol.GRPC, {}, apiEnv),
      processService("echo", "tcp-echo-main.js", Protocol.TCP),
      processService("web", "caller-main.js", Protocol.HTTP, {
        egresses: [
          { name: "api", service: "api", ingress: "default" },
          { name: "echo", service: "echo", ingress: "default" },
        ] as Service["egresses"],
      }),
    ],
  });
}

/** A created environment with every event it published so far. */
class Env {
  readonly events: Event[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #abort = new AbortController();

  constructor(
    readonly rig: Client<typeof EnvironmentService>,
    readonly id: string,
  ) {
    void this.#follow();
  }

  async #follow(): Promise<void> {
    try {
      for await (const res of this.rig.watchEvents({ environmentId: this.id, includeLogs: true }, { signal: this.#abort.signal })) {
        if (res.event) this.events.push(res.event);
        for (const wake of this.#waiters) wake();
      }
    } catch {
      // watch ended (destroyed or aborted)
    }
  }

  /** Waits for `count` events matching `match`. */
  async waitFor(match: (e: Event) => boolean, count = 1, timeoutMs = 30_000): Promise<Event[]> {
    const found = (): Event[] => this.events.filter(match);
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const down = this.events.find((e) => e.payload.case === "environmentDown");
        if (found().length >= count) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          resolve(found().slice(0, count));
        } else if (down) {
          this.#waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`environment went down: ${JSON.stringify(down.payload.value)}`));
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out; events so far: ${this.events.map((e) => `${e.type}(${e.service})`).join(", ")}`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }

  /** Endpoints the test may use, from environment.up. */
  async up(): Promise<Record<string, Endpoint>> {
    const [up] = await this.waitFor((e) => e.payload.case === "environmentUp");
    const services = up?.payload.case === "environmentUp" ? up.payload.value.services : {};
    return Object.fromEntries(Object.entries(services).map(([name, s]) => [name, s.ingresses.default as Endpoint]));
  }

  /** Traffic events of one kind from `source` to `target`. */
  traffic<C extends "requestCompleted" | "grpcCallCompleted" | "connectionClosed">(
    kind: C,
    source: string,
    target: string,
  ): (e: Event) => boolean {
    return (e) => e.payload.case === kind && e.payload.value.source === source && e.payload.value.target === target;
  }

  async state(): Promise<Environment> {
    const res = await this.rig.getEnvironment({ environmentId: this.id });
    assert.ok(res.environment);
    return res.environment;
  }

  async destroy(): Promise<void> {
    await this.rig.destroyEnvironment({ environmentId: this.id, reason: "test done" }).catch(() => {});
    this.#abort.abort();
  }
}

function httpGet(endpoint: Endpoint, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: endpoint.host, port: endpoint.port, path }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

type Payload<C> = Extract<Event["payload"], { case: C }>["value"];

/** The payload of `event`, asserting its kind. */
function payload<C extends NonNullable<Event["payload"]["case"]>>(event: Event | undefined, kind: C): Payload<C> {
  assert.equal(event?.payload.case, kind);
  return event?.payload.value as unknown as Payload<C>;
}

describe("observe end to end", { timeout: 180_000 }, () => {
  let rigDir: string;
  let rigd: { child: ChildProcess; address: string };
  let rig: Client<typeof EnvironmentService>;
  const envs: Env[] = [];

  const createEnv = async (spec: ReturnType<typeof shopSpec>): Promise<Env> => {
    const { environmentId } = await rig.createEnvironment({ spec });
    const env = new Env(rig, environmentId);
    envs.push(env);
    return env;
  };
  /** Fails unless rigd put proxy nodes into the environment. */
  const assertProxied = async (env: Env): Promise<void> => {
    await env.up();
    const state = await env.state();
    assert.ok(state.services.some((s) => s.type === "proxy"), "rigd inserted no proxy nodes for observe: true");
  };

  before(async () => {
    rigDir = mkdtempSync(join(tmpdir(), "rig-observe-"));
    rigd = await startRigd(rigDir);
    rig = createClient(EnvironmentService, createGrpcTransport({ baseUrl: `http://${rigd.address}`, interceptors: [bearer(readRigdToken(join(rigDir, `rigd-${rigdVersion()}.addr`)))] }));
  });
  after(async () => {
    await Promise.all(envs.map((e) => e.destroy()));
    rigd.child.kill("SIGTERM");
    await new Promise((resolve) => rigd.child.once("exit", resolve));
    rmSync(rigDir, { recursive: true, force: true });
  });

  it("records HTTP, gRPC and TCP traffic of services and of the test", async () => {
    const env = await createEnv(shopSpec("observed", true));
    await assertProxied(env);
    const endpoints = await env.up();
    const { web, api } = endpoints;
    assert.ok(web && api);

    // The test -> web (HTTP) -> api (gRPC); web -> echo (TCP).
    const viaWeb = await httpGet(web, "/grpc?text=hello");
    assert.equal(viaWeb.status, 200);
    assert.equal(JSON.parse(viaWeb.body).text, "hello");
    assert.equal(JSON.parse((await httpGet(web, "/tcp?text=ping")).body).echoed, "ping");

    // The test -> api directly, every kind of call.
    const client = echoClient(`${api.host}:${api.port}`);
    try {
      assert.equal((await client.say({ text: "direct" })).text, "direct");
      assert.equal((await client.count({ count: 3 })).length, 3);
      assert.equal((await client.sum([{ value: 2 }, { value: 3 }])).total, "5");
      assert.equal((await client.chat([{ who: "t", text: "x" }])).length, 1);
      await assert.rejects(client.say({ text: "nope", fail_code: 9 }));
    } finally {
      client.close();
    }

    const [http] = await env.waitFor((e) => env.traffic("requestCompleted", "~test", "web")(e) && payload(e, "requestCompleted").path === "/grpc?text=hello");
    const request = payload(http, "requestCompleted");
    assert.equal(request.method, "GET");
    assert.equal(request.status, 200);
    assert.equal(JSON.parse(Buffer.from(request.responseBody).toString()).text, "hello");

    const [fromWeb] = await env.waitFor(env.traffic("grpcCallCompleted", "web", "api"));
    const call = payload(fromWeb, "grpcCallCompleted");
    assert.equal(call.method, "Say");
    assert.deepEqual(JSON.parse(call.requestJson[0] ?? "null"), { text: "hello", repeatCount: 1 });
    assert.deepEqual(JSON.parse(call.responseJson[0] ?? "null"), { text: "hello", length: 5 });

    const fromTest = (await env.waitFor(env.traffic("grpcCallCompleted", "~test", "api"), 5)).map((e) => payload(e, "grpcCallCompleted"));
    assert.deepEqual(
      fromTest.map((c) => [c.method, c.statusCode, c.requestMessages, c.responseMessages]),
      [
        ["Say", 0, 1, 1],
        ["Count", 0, 1, 3],
        ["Sum", 0, 2, 1],
        ["Chat", 0, 1, 1],
        ["Say", 9, 1, 0],
      ],
    );
    assert.equal(fromTest[4]?.statusMessage, "nope");
    assert.deepEqual(JSON.parse(fromTest[2]?.requestJson[1] ?? "null"), { value: "3" });

    const [tcp] = await env.waitFor(env.traffic("connectionClosed", "web", "echo"));
    const closed = payload(tcp, "connectionClosed");
    assert.equal(closed.bytesSent, 4n);
    assert.equal(closed.bytesReceived, 4n);

    // GetEnvironment tells proxied and real addresses apart.
    const state = await env.state();
    const webState = state.services.find((s) => s.name === "web");
    const apiState = state.services.find((s) => s.name === "api");
    assert.ok(webState && apiState);
    assert.notEqual(webState.egresses.api?.port, apiState.ingresses.default?.port);
    assert.equal(webState.egressTargets.api?.port, apiState.ingresses.default?.port);
    assert.ok(state.services.some((s) => s.name === "~proxy.web.api.default" && s.internal));

    // What the SDKs watch: the same log without the traffic (exclude_traffic).
    const isTraffic = (e: Event): boolean => TRAFFIC.has(e.payload.case);
    const lastLifecycle = env.events.filter((e) => !isTraffic(e)).at(-1)!.seq;
    const untilThere = new AbortController();
    const withoutTraffic: Event[] = [];
    for await (const res of rig.watchEvents({ environmentId: env.id, includeLogs: true, excludeTraffic: true }, { signal: untilThere.signal })) {
      if (res.event) withoutTraffic.push(res.event);
      if ((res.event?.seq ?? 0n) >= lastLifecycle) break;
    }
    untilThere.abort();
    assert.ok(env.events.some(isTraffic), "the full stream has traffic");
    assert.deepEqual(
      withoutTraffic.map((e) => `${e.seq} ${e.type}`),
      env.events.filter((e) => !isTraffic(e) && e.seq <= lastLifecycle).map((e) => `${e.seq} ${e.type}`),
      "exclude_traffic leaves out the traffic and nothing else",
    );
  });

  it("wires services directly with observe off", async () => {
    const env = await createEnv(shopSpec("direct", false));
    await env.up();
    const state = await env.state();
    assert.deepEqual(
      state.services.filter((s) => s.type === "proxy").map((s) => s.name),
      [],
    );
    const webState = state.services.find((s) => s.name === "web");
    const apiState = state.services.find((s) => s.name === "api");
    assert.equal(webState?.egresses.api?.port, apiState?.ingresses.default?.port);
  });

  it("probes reflection once for five environments of one definition", async () => {
    const shop = await Promise.all([1, 2, 3, 4, 5].map(() => createEnv(shopSpec("five", true, { SHOP: "five" }))));
    await assertProxied(shop[0] as Env);
    for (const env of shop) {
      const { api } = await env.up();
      const client = echoClient(`${api?.host}:${api?.port}`);
      await client.say({ text: "count me" });
      client.close();
      const [event] = await env.waitFor(env.traffic("grpcCallCompleted", "~test", "api"));
      assert.deepEqual(JSON.parse(payload(event, "grpcCallCompleted").requestJson[0] ?? "null"), { text: "count me" });
    }
    const probed = shop.map(
      (env) => env.events.filter((e) => e.service === "api" && e.payload.case === "serviceLog" && e.payload.value.line === "reflection call").length,
    );
    assert.equal(probed.filter((n) => n > 0).length, 1, `reflection calls per environment: ${probed.join(", ")}`);
  });

  it("decodes two different servers both named api", async () => {
    const [echoEnv, altEnv] = await Promise.all([
      createEnv(shopSpec("named-alike", true, { ECHO_FLAVOR: "echo" })),
      createEnv(shopSpec("named-alike", true, { ECHO_FLAVOR: "alt" })),
    ]);
    assert.ok(echoEnv && altEnv);
    await assertProxied(echoEnv);
    const echoApi = (await echoEnv.up()).api;
    const altApi = (await altEnv.up()).api;
    const echoC = echoClient(`${echoApi?.host}:${echoApi?.port}`);
    const altC = echoClient(`${altApi?.host}:${altApi?.port}`, { flavor: "alt" });
    try {
      await echoC.say({ text: "hi", repeat_count: 2 });
      await altC.say({ serial: 12, shout: true });
    } finally {
      echoC.close();
      altC.close();
    }
    const [e] = await echoEnv.waitFor(echoEnv.traffic("grpcCallCompleted", "~test", "api"));
    const [a] = await altEnv.waitFor(altEnv.traffic("grpcCallCompleted", "~test", "api"));
    assert.deepEqual(JSON.parse(payload(e, "grpcCallCompleted").requestJson[0] ?? "null"), { text: "hi", repeatCount: 2 });
    assert.deepEqual(JSON.parse(payload(a, "grpcCallCompleted").requestJson[0] ?? "null"), { serial: "12", shout: true });
    assert.deepEqual(JSON.parse(payload(a, "grpcCallCompleted").responseJson[0] ?? "null"), { echoed: "#12", shouted: true });
  });
});
