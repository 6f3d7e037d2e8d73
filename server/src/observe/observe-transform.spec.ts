import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { PostgresConfigSchema, ProcessConfigSchema, Protocol, ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { insertProxies, type ProxyConfig, proxyNodeName, reflectionKey } from "./observe-transform.js";
import { type EnvironmentPlan, type PlannedIngress, type PlannedService, TEST_NODE } from "../contract/plan.js";

function ingress(name: string, protocol: Protocol, attributes: Record<string, string> = {}): PlannedIngress {
  return {
    name,
    protocol,
    ready: { kind: "http", httpPath: "/", grpcService: "", timeoutMs: 30_000, intervalMs: 10, maxIntervalMs: 1000 },
    attributes,
    containerPort: 0,
  };
}

function service(
  name: string,
  type: string,
  config: unknown,
  ingresses: PlannedIngress[],
  egresses: { name: string; service: string; ingress: string }[] = [],
): PlannedService {
  return {
    name,
    type,
    spec: create(ServiceSchema, { name }),
    config,
    ingresses,
    egresses,
    dependsOn: [...new Set(egresses.map((e) => e.service))],
    prestart: [],
    init: [],
    requires: [],
    internal: false,
  };
}

function testNode(services: PlannedService[]): PlannedService {
  const egresses = services.flatMap((s) =>
    s.ingresses.map((i) => ({ name: i.name === "default" ? s.name : `${s.name}.${i.name}`, service: s.name, ingress: i.name })),
  );
  return { ...service(TEST_NODE, "test", {}, [], egresses), dependsOn: services.map((s) => s.name), internal: true };
}

function plan(services: PlannedService[], observe = true): EnvironmentPlan {
  return {
    name: "shop",
    services: [...services, testNode(services)],
    observe,
    dir: "/work/app",
    hostEnv: {},
    ttlMs: undefined,
    orphanGraceMs: 30_000,
    stallTimeoutMs: 30_000,
    callbackTimeoutMs: 30_000,
  };
}

const apiConfig = create(ProcessConfigSchema, { command: "./api", args: ["--port", "${PORT}"], env: { A: "1", B: "2" } });

/** db (postgres, tcp) <- api (grpc + http metrics) <- web (http); the shape of a small shop. */
function shop(observe = true): EnvironmentPlan {
  const db = service("db", "postgres", create(PostgresConfigSchema, { image: "postgres:16" }), [
    ingress("default", Protocol.TCP, { PGHOST: "${HOST}", PGPORT: "${PORT}", PGDATABASE: "shop" }),
  ]);
  const api = service(
    "api",
    "process",
    apiConfig,
    [ingress("default", Protocol.GRPC), ingress("metrics", Protocol.HTTP, { URL: "http://${HOSTPORT}/metrics" })],
    [{ name: "order-db", service: "db", ingress: "default" }],
  );
  const web = service("web", "process", create(ProcessConfigSchema, { command: "./web" }), [ingress("default", Protocol.HTTP)], [
    { name: "backend", service: "api", ingress: "default" },
    { name: "backend-again", service: "api", ingress: "default" },
    { name: "metrics", service: "api", ingress: "metrics" },
  ]);
  return plan([db, api, web], observe);
}

function find(p: EnvironmentPlan, name: string): PlannedService {
  const found = p.services.find((s) => s.name === name);
  assert.ok(found, `service ${name} exists`);
  return found;
}

describe("insertProxies", () => {
  it("leaves a plan without observe untouched", () => {
    const p = shop(false);
    assert.equal(insertProxies(p), p);
  });

  it("puts one proxy on every edge, the test's edges included", () => {
    const out = insertProxies(shop());
    const proxies = out.services.filter((s) => s.type === "proxy").map((s) => s.name);
    assert.deepEqual(proxies.sort(), [
      "~proxy.api.db.default",
      "~proxy.web.api.default",
      "~proxy.web.api.metrics",
      "~proxy.~test.api.default",
      "~proxy.~test.api.metrics",
      "~proxy.~test.db.default",
      "~proxy.~test.web.default",
    ]);
    for (const name of proxies) assert.equal(find(out, name).internal, true);
  });

  it("builds each proxy node from its target ingress", () => {
    const out = insertProxies(shop());
    const proxy = find(out, proxyNodeName("api", "db", "default"));
    assert.equal(proxy.type, "proxy");
    assert.deepEqual(proxy.dependsOn, ["db"]);
    assert.deepEqual(proxy.egresses, [{ name: "target", service: "db", ingress: "default" }]);
    assert.equal(proxy.ingresses.length, 1);
    const [only] = proxy.ingresses;
    assert.equal(only?.name, "default");
    assert.equal(only?.protocol, Protocol.TCP);
    assert.equal(only?.ready.kind, "none");
    assert.deepEqual(only?.attributes, { PGHOST: "${HOST}", PGPORT: "${PORT}", PGDATABASE: "shop" });
    const config = proxy.config as ProxyConfig;
    assert.equal(config.source, "api");
    assert.equal(config.target, "db");
    assert.equal(config.ingress, "default");
    assert.equal(config.protocol, Protocol.TCP);
    assert.match(config.reflectionKey, /^postgres:[0-9a-f]{32}:default$/);

    const metrics = find(out, proxyNodeName("web", "api", "metrics"));
    assert.equal(metrics.ingresses[0]?.protocol, Protocol.HTTP);
    assert.equal((metrics.config as ProxyConfig).protocol, Protocol.HTTP);
  });

  it("rewires sources to their proxies, keeping egress names", () => {
    const out = insertProxies(shop());
    const web = find(out, "web");
    assert.deepEqual(web.egresses, [
      { name: "backend", service: "~proxy.web.api.default", ingress: "default", origin: { service: "api", ingress: "default" } },
      { name: "backend-again", service: "~proxy.web.api.default", ingress: "default", origin: { service: "api", ingress: "default" } },
      { name: "metrics", service: "~proxy.web.api.metrics", ingress: "default", origin: { service: "api", ingress: "metrics" } },
    ]);
    assert.deepEqual(web.dependsOn, ["api", "~proxy.web.api.default", "~proxy.web.api.metrics"]);
    const test = find(out, TEST_NODE);
    assert.ok(test.egresses.every((e) => e.service.startsWith("~proxy.~test.") && e.origin));
    assert.deepEqual(
      test.egresses.map((e) => e.name),
      ["db", "api", "api.metrics", "web"],
    );
  });

  it("keeps services in dependency order with ~test last", () => {
    const out = insertProxies(shop());
    const position = new Map(out.services.map((s, i) => [s.name, i]));
    for (const s of out.services) {
      for (const dep of s.dependsOn) {
        assert.ok((position.get(dep) ?? Infinity) < (position.get(s.name) ?? -1), `${dep} comes before ${s.name}`);
      }
      for (const e of s.egresses) assert.ok((position.get(e.service) ?? Infinity) < (position.get(s.name) ?? -1));
    }
    assert.equal(out.services.at(-1)?.name, TEST_NODE);
  });

  it("is idempotent", () => {
    const once = insertProxies(shop());
    assert.deepEqual(insertProxies(once), once);
  });
});

describe("reflectionKey", () => {
  const api = (config: unknown, type = "process"): PlannedService =>
    service("api", type, config, [ingress("default", Protocol.GRPC), ingress("admin", Protocol.GRPC)]);

  it("is equal for the same server under another name", () => {
    const renamed = { ...api(apiConfig), name: "other" };
    assert.equal(reflectionKey(api(apiConfig), "default", "/d"), reflectionKey(renamed, "default", "/d"));
  });

  it("ignores the order map entries were written in", () => {
    const reordered = create(ProcessConfigSchema, { command: "./api", args: ["--port", "${PORT}"], env: { B: "2", A: "1" } });
    assert.equal(reflectionKey(api(apiConfig), "default", "/d"), reflectionKey(api(reordered), "default", "/d"));
  });

  it("differs when the config, type, ingress or client directory differ", () => {
    const base = reflectionKey(api(apiConfig), "default", "/d");
    const other = create(ProcessConfigSchema, { command: "./api-v2", args: ["--port", "${PORT}"] });
    assert.notEqual(reflectionKey(api(other), "default", "/d"), base);
    assert.notEqual(reflectionKey(api(apiConfig, "client"), "default", "/d"), base);
    assert.notEqual(reflectionKey(api(apiConfig), "admin", "/d"), base);
    assert.notEqual(reflectionKey(api(apiConfig), "default", "/elsewhere"), base);
  });

  it("hashes plain configs (custom types) too", () => {
    const a = reflectionKey(api({ image: "x", n: 1n }, "custom"), "default", "/d");
    const b = reflectionKey(api({ n: 1n, image: "x" }, "custom"), "default", "/d");
    const c = reflectionKey(api({ n: 2n, image: "x" }, "custom"), "default", "/d");
    assert.equal(a, b);
    assert.notEqual(a, c);
  });
});
