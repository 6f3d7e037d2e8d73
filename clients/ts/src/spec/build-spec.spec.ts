/**
 * The spec the builders produce: every builder method lands in the right protobuf
 * field, closures are registered under the names the spec refers to, and unset
 * options stay unset so rigd applies its defaults.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { HandlerRegistry } from "../callbacks/handlers.js";
import { EnvironmentSpecSchema } from "../gen/rig/v1/spec_pb.js";
import { ProcessBuilder, rig } from "../index.js";
import { buildSpec, environmentName } from "./build-spec.js";

function specJson(services: Parameters<typeof buildSpec>[0], options: Parameters<typeof buildSpec>[1] = {}) {
  const registry = new HandlerRegistry();
  const spec = buildSpec(services, { hostEnv: { HOME: "/home/t" }, dir: "/work", ...options }, registry);
  return { json: toJson(EnvironmentSpecSchema, spec) as Record<string, any>, registry };
}

describe("builders", () => {
  test("a process with args, env, dir, ingress and egress", () => {
    const { json } = specJson({
      db: rig.postgres(),
      api: rig
        .process("./bin/api", "--port", "${PORT}")
        .args("--verbose")
        .env("LOG", "debug")
        .env({ MODE: "test" })
        .dir("services/api")
        .stopGrace("2s")
        .ingress("default", { protocol: "http", ready: "/healthz" })
        .ingress("metrics", { protocol: "tcp", ready: false, attributes: { PATH: "/metrics" } })
        .egress("db", { as: "orders-db" }),
    });
    assert.deepEqual(json.services[1], {
      name: "api",
      ingresses: [
        { name: "default", protocol: "PROTOCOL_HTTP", ready: { kind: "READINESS_KIND_HTTP", httpPath: "/healthz" } },
        { name: "metrics", protocol: "PROTOCOL_TCP", ready: { kind: "READINESS_KIND_NONE" }, attributes: { PATH: "/metrics" } },
      ],
      egresses: [{ name: "orders-db", service: "db" }],
      process: {
        command: "./bin/api",
        args: ["--port", "${PORT}", "--verbose"],
        dir: "services/api",
        env: { LOG: "debug", MODE: "test" },
        stopGrace: "2s",
      },
    });
  });

  test("environment options: observe on by default, cwd, host env, durations", () => {
    const { json } = specJson(
      { web: rig.process("web") },
      { name: "Checkout: pays twice!", ttl: "10m", orphanGrace: 5000, stallTimeout: "1.5s", callbackTimeout: "30s" },
    );
    assert.equal(json.name, "checkout-pays-twice");
    assert.equal(json.observe, true);
    assert.equal(json.dir, "/work");
    assert.deepEqual(json.hostEnv, { HOME: "/home/t" });
    assert.equal(json.ttl, "600s");
    assert.equal(json.orphanGrace, "5s");
    assert.equal(json.stallTimeout, "1.500s");
    assert.equal(json.callbackTimeout, "30s");
    assert.equal(specJson({ web: rig.process("web") }, { observe: false }).json.observe, undefined);
  });

  test("closures become client_func hooks and a client start handler, registered by name", () => {
    const prestart = (): void => {};
    const init = async (): Promise<void> => {};
    const fn = (): void => {};
    const { json, registry } = specJson({
      worker: rig.func(fn).noIngress().prestart(prestart).init(init).egress("api", { ingress: "admin" }),
      api: rig.node("api.js"),
    });
    assert.deepEqual(json.services[0], {
      name: "worker",
      noIngress: true,
      egresses: [{ service: "api", ingress: "admin" }],
      prestart: [{ clientFunc: { name: "worker.prestart.0" } }],
      init: [{ clientFunc: { name: "worker.init.0" } }],
      client: { startHandler: "worker.start" },
    });
    assert.deepEqual(registry.get("worker.prestart.0"), { kind: "hook", fn: prestart });
    assert.deepEqual(registry.get("worker.init.0"), { kind: "hook", fn: init });
    assert.deepEqual(registry.get("worker.start"), { kind: "start", fn });
    assert.deepEqual(json.services[1].node, { script: "api.js", node: process.execPath });
  });

  test("go and node programs, s3, sqs and temporal: every field", () => {
    const { json } = specJson({
      api: rig.go("./cmd/api", "--port", "${PORT}").buildFlags("-tags=it").args("-v").env("MODE", "test").dir("svc").stopGrace("1s"),
      web: rig.node("./src/server.ts", "x").build("npm", "run", "build").nodeBinary("/opt/node").nodeOptions("--enable-source-maps"),
    });
    assert.deepEqual(json.services[0].go, {
      package: "./cmd/api",
      args: ["--port", "${PORT}", "-v"],
      dir: "svc",
      env: { MODE: "test" },
      buildFlags: ["-tags=it"],
      stopGrace: "1s",
    });
    assert.deepEqual(json.services[1].node, {
      script: "./src/server.ts",
      args: ["x"],
      build: ["npm", "run", "build"],
      node: "/opt/node",
      nodeOptions: ["--enable-source-maps"],
    });
    const aws = specJson({ files: rig.s3().region("eu-west-2"), jobs: rig.sqs().fifo(), plain: rig.sqs(), wf: rig.temporal().version("v1.5.1") }).json;
    assert.deepEqual(
      aws.services.map((x: { s3?: unknown; sqs?: unknown; temporal?: unknown }) => x.s3 ?? x.sqs ?? x.temporal),
      [{ region: "eu-west-2" }, { fifo: true }, {}, { version: "v1.5.1" }],
    );
    assert.ok(rig.node("a.js") instanceof ProcessBuilder, "code that typed rig.node(...) as a ProcessBuilder still compiles");
  });

  test("postgres with init SQL, redis, container, custom", (t) => {
    // The test process's default images would fill the redis image (tested on its own).
    for (const name of ["RIG_POSTGRES_IMAGE", "RIG_REDIS_IMAGE"]) {
      const saved = process.env[name];
      delete process.env[name];
      t.after(() => {
        if (saved !== undefined) process.env[name] = saved;
      });
    }
    const { json } = specJson({
      db: rig.postgres().image("postgres:16").initSql("create table t (id int)", "insert into t values (1)"),
      cache: rig.redis(),
      web: rig
        .container("nginx:1")
        .args("nginx", "-g", "daemon off;")
        .entrypoint("/docker-entrypoint.sh")
        .env("A", "1")
        .ingress({ containerPort: 80, ready: { path: "/", timeout: "10s", interval: 20, maxInterval: "500ms" } })
        .initExec("nginx", "-t"),
      queue: rig.custom("kafka", { partitions: 3, topics: ["orders"] }),
    });
    assert.deepEqual(json.services[0], {
      name: "db",
      init: [{ sql: { statements: ["create table t (id int)", "insert into t values (1)"] } }],
      postgres: { image: "postgres:16" },
    });
    assert.deepEqual(json.services[1], { name: "cache", redis: {} });
    assert.deepEqual(json.services[2], {
      name: "web",
      ingresses: [
        {
          name: "default",
          ready: { kind: "READINESS_KIND_HTTP", httpPath: "/", timeout: "10s", interval: "0.020s", maxInterval: "0.500s" },
          containerPort: 80,
        },
      ],
      init: [{ exec: { command: ["nginx", "-t"] } }],
      container: { image: "nginx:1", cmd: ["nginx", "-g", "daemon off;"], env: { A: "1" }, entrypoint: ["/docker-entrypoint.sh"] },
    });
    assert.deepEqual(json.services[3], { name: "queue", custom: { type: "kafka", config: { partitions: 3, topics: ["orders"] } } });
  });

  test("kafka with topics, avro schemas and a dedicated cluster", () => {
    const schema = { type: "record", name: "Order", fields: [{ name: "id", type: "int" }] };
    const { json } = specJson({
      bus: rig.kafka().topic("orders", { partitions: 3 }).topic("audit").avroSchema("orders-value", schema),
      own: rig.kafka().dedicatedCluster(),
    });
    assert.deepEqual(json.services[0], {
      name: "bus",
      kafka: {
        topics: [{ name: "orders", partitions: 3 }, { name: "audit", partitions: 1 }],
        avroSchemas: [{ subject: "orders-value", schema: JSON.stringify(schema) }],
      },
    });
    assert.deepEqual(json.services[1], { name: "own", kafka: { dedicatedCluster: true } });
  });

  test("mistakes no server could accept are TypeErrors at build time", () => {
    assert.throws(() => rig.process(""), TypeError);
    assert.throws(() => specJson({ api: { name: "api" } as never }), /service "api" is not a rig builder/);
    assert.throws(() => specJson({ api: rig.process("x").ingress({ protocol: "udp" as never }) }), /unknown protocol "udp"/);
    assert.throws(() => specJson({ api: rig.process("x") }, { ttl: "soon" }), /ttl: "soon" is not a duration/);
  });

  test("required resources: exclusive unless shared, each named once (the last options win)", () => {
    const { json } = specJson({
      api: rig.process("api").requires("db-fixture", { shared: true }).requires("port-8080").requires("db-fixture", { shared: false }),
      worker: rig.postgres().requires("db-fixture", { shared: true }),
    });
    assert.deepEqual(json.services[0].requires, [{ resource: "db-fixture" }, { resource: "port-8080" }]);
    assert.deepEqual(json.services[1].requires, [{ resource: "db-fixture", shared: true }]);
  });

  test("environment names from test titles", () => {
    assert.equal(environmentName("orders > ships an order"), "orders-ships-an-order");
    assert.equal(environmentName("123 go"), "go");
    assert.equal(environmentName(""), "rig");
    assert.equal(environmentName(undefined), "rig");
  });
});
