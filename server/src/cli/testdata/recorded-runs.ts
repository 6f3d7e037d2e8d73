/**
 * Real runs for the CLI's tests, each through a real rigd with observe on: a passing
 * run with HTTP and TCP traffic, a crashed service, a readiness timeout, HTTP 500s with a
 * failed assertion, a failed gRPC call, a stall. `record-runs-main.ts` writes them to
 * `testdata/runs/` (committed); the e2e spec records them live.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import type { Client } from "@connectrpc/connect";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EnvironmentService } from "../../gen/rig/v1/environment_service_pb.js";
import type { Endpoint } from "../../gen/rig/v1/event_pb.js";
import { EnvironmentSpecSchema, Protocol, ReadinessKind } from "../../gen/rig/v1/spec_pb.js";
import { echoClient } from "../../proxy/testdata/echo-grpc.js";

const here = dirname(fileURLToPath(import.meta.url));
const SERVICE = join(here, "fixture-service.js");
const ECHO_GRPC = join(here, "..", "..", "proxy", "testdata", "echo-grpc-main.js");

type Api = Client<typeof EnvironmentService>;
type SpecInit = MessageInitShape<typeof EnvironmentSpecSchema>;

function fixture(mode: string, extra: Record<string, string> = {}): { config: { case: "process"; value: { command: string; args: string[]; env: Record<string, string> } } } {
  return { config: { case: "process", value: { command: process.execPath, args: [SERVICE], env: { FIXTURE_MODE: mode, ...extra } } } };
}

/** Creates the environment, waits for up (or down), returns its id and the test's endpoints. */
async function up(api: Api, spec: SpecInit): Promise<{ id: string; endpoints: Map<string, Endpoint>; failed: boolean }> {
  const { environmentId: id } = await api.createEnvironment({ spec: create(EnvironmentSpecSchema, { observe: true, ...spec }) });
  const endpoints = new Map<string, Endpoint>();
  for await (const { event } of api.watchEvents({ environmentId: id })) {
    if (event?.payload.case === "environmentUp") {
      for (const [name, svc] of Object.entries(event.payload.value.services)) {
        const ep = svc.ingresses.default;
        if (ep) endpoints.set(name, ep);
      }
      return { id, endpoints, failed: false };
    }
    if (event?.payload.case === "environmentDown") return { id, endpoints, failed: true };
  }
  return { id, endpoints, failed: true };
}

/** Waits until the run's log is complete (environment.down). */
async function untilDown(api: Api, id: string): Promise<void> {
  for await (const { event } of api.watchEvents({ environmentId: id })) if (event?.type === "environment.down") return;
}

const url = (ep: Endpoint | undefined, path: string): string => `http://${ep?.host}:${ep?.port}${path}`;

/** The scenarios by name; each returns the environment id of its finished run. */
export const SCENARIOS: Readonly<Record<string, (api: Api) => Promise<string>>> = {
  async "checkout-passes"(api) {
    const env = await up(api, {
      name: "CheckoutPasses",
      services: [
        { name: "db", ingresses: [{ name: "default", protocol: Protocol.TCP }], ...fixture("echo") },
        { name: "web", egresses: [{ service: "db" }], ...fixture("web") },
      ],
    });
    await (await fetch(url(env.endpoints.get("web"), "/"))).text();
    await (await fetch(url(env.endpoints.get("web"), "/db"))).text();
    await api.destroyEnvironment({ environmentId: env.id });
    return env.id;
  },
  async "crash-on-start"(api) {
    const env = await up(api, { name: "CrashOnStart", services: [{ name: "api", ...fixture("crash") }] });
    await untilDown(api, env.id);
    await api.destroyEnvironment({ environmentId: env.id, testFailed: true });
    return env.id;
  },
  async "readiness-timeout"(api) {
    const env = await up(api, {
      name: "ReadinessTimeout",
      services: [
        { name: "cache", ingresses: [{ name: "default", protocol: Protocol.TCP }], ...fixture("echo") },
        {
          name: "api",
          egresses: [{ service: "cache" }],
          ingresses: [{ name: "default", protocol: Protocol.HTTP, ready: { kind: ReadinessKind.HTTP, timeout: durationFromMs(800) } }],
          ...fixture("silent"),
        },
      ],
    });
    await untilDown(api, env.id);
    await api.destroyEnvironment({ environmentId: env.id, testFailed: true });
    return env.id;
  },
  async "orders-http-500"(api) {
    const env = await up(api, { name: "OrdersReturn500", services: [{ name: "api", ...fixture("web") }] });
    const ep = env.endpoints.get("api");
    await (await fetch(url(ep, "/"))).text();
    const res = await fetch(url(ep, "/orders"));
    await res.text();
    await (await fetch(url(ep, "/orders"))).text();
    await api.postEvent({ environmentId: env.id, event: { case: "testNote", value: { level: "error", message: `expected status 200 from GET /orders, got ${res.status}` } } });
    await api.destroyEnvironment({ environmentId: env.id, testFailed: true });
    return env.id;
  },
  async "grpc-call-fails"(api) {
    const env = await up(api, {
      name: "EchoGrpcFails",
      services: [{ name: "echo", ingresses: [{ name: "default", protocol: Protocol.GRPC }], config: { case: "process", value: { command: process.execPath, args: [ECHO_GRPC] } } }],
    });
    const ep = env.endpoints.get("echo");
    const client = echoClient(`${ep?.host}:${ep?.port}`);
    try {
      await client.say({ text: "hello", repeat_count: 2, tags: { lang: "en" } });
      await client.say({ text: "no such greeting", fail_code: 5 }).catch(() => undefined);
    } finally {
      client.close();
    }
    await api.destroyEnvironment({ environmentId: env.id, testFailed: true });
    return env.id;
  },
  async "slow-start-stall"(api) {
    const env = await up(api, {
      name: "SlowStartStalls",
      stallTimeout: durationFromMs(400),
      services: [
        { name: "db", ingresses: [{ name: "default", protocol: Protocol.TCP }], ...fixture("echo") },
        { name: "api", egresses: [{ service: "db" }], ...fixture("slow", { FIXTURE_DELAY_MS: "1200" }) },
      ],
    });
    await api.destroyEnvironment({ environmentId: env.id });
    return env.id;
  },
};
