/**
 * The kafka type end to end through a real rigd, a real Kafka 4 broker (the host's
 * Java, the jars of scripts/install-kafka.sh) and kafkajs, the ecosystem's Node client:
 *
 *  - two environments in parallel on the shared broker: each produces and consumes under
 *    its own prefix and sees nothing of the other's; their topics (declared and
 *    auto-created) and consumer groups are gone once each is destroyed;
 *  - observed (`observe: true`): kafkajs talks to the broker only through the Kafka
 *    proxy (Metadata and FindCoordinator rewritten to the proxy), and the log records
 *    kafka.produced and kafka.fetched with topic, partition, key, offsets and the value
 *    decoded from JSON, and from Avro with the schema the spec registered;
 *  - the same with Kafka's own Java client (kafka-clients, zstd batches), which speaks
 *    the flexible protocol versions kafkajs never uses, DescribeCluster included;
 *  - `rig traffic` lists the recorded produces and fetches, with records in `--detail`;
 *  - the schema registry answers Confluent's REST calls;
 *  - `dedicated_cluster`: a broker of its own, stopped at release;
 *  - rigd stopped: no broker process and no server dir is left; a rigd killed with
 *    SIGKILL leaves its broker, and the next rigd on the same RIG_DIR reaps it;
 *  - bad specs are refused with every problem listed; without the jars the service
 *    fails saying how to install them; bytes that are not Kafka are cut at the proxy.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import avro from "avsc";
import { CompressionTypes, Kafka, logLevel, Partitioners, type Consumer } from "kafkajs";
import type { Endpoint, Event } from "../gen/rig/v1/event_pb.js";
import { Protocol, type KafkaConfig } from "../gen/rig/v1/spec_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { KafkaConfigSchema } from "../gen/rig/v1/spec_pb.js";
import { rig as rigCli } from "../cli/testdata/cli-harness.js";
import { findKafkaInstall } from "../pools/kafka-install.js";
import { formatEvent } from "../events/event-text.js";
import { collectEvents, eventually, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

/** The Java client's source; dist/ has no copy, so it runs from src/ (java's single-file launch). */
const JAVA_CLIENT = fileURLToPath(new URL("../../src/services/testdata/KafkaJavaClient.java", import.meta.url));

const ORDER_SCHEMA = JSON.stringify({
  type: "record",
  name: "Order",
  fields: [
    { name: "id", type: "int" },
    { name: "item", type: "string" },
  ],
});

/** The kafka service's endpoint as the test sees it (through the proxy when observed). */
interface KafkaEnv {
  readonly id: string;
  readonly endpoint: Endpoint;
  readonly prefix: string;
  readonly brokers: string;
  readonly registry: string;
}

/** A spec with one kafka service `bus` (two-partition `orders`, the Order schema unless `config` says otherwise). */
function kafkaSpec(name: string, observe: boolean, config: MessageInitShape<typeof KafkaConfigSchema> = {}) {
  return spec({
    name,
    observe,
    services: [
      {
        name: "bus",
        ingresses: [{ name: "default", protocol: Protocol.KAFKA }],
        config: {
          case: "kafka",
          value: {
            topics: [{ name: "orders", partitions: 2 }],
            avroSchemas: [{ subject: "orders-avro-value", schema: ORDER_SCHEMA }],
            ...config,
          } as KafkaConfig,
        },
      },
    ],
  });
}

async function createKafkaEnv(
  rigd: Rigd,
  name: string,
  options: { observe?: boolean; dedicated?: boolean } = {},
): Promise<KafkaEnv> {
  const res = await rigd.client.createEnvironment({ spec: kafkaSpec(name, options.observe ?? false, { dedicatedCluster: options.dedicated ?? false }) });
  const events = await collectEvents(rigd, res.environmentId, undefined, { timeoutMs: 90_000 });
  const up = events.find((e) => e.payload.case === "environmentUp");
  if (up?.payload.case !== "environmentUp") {
    throw new Error(`environment did not come up:\n${events.map(formatEvent).join("\n")}`);
  }
  const endpoint = up.payload.value.services["bus"]?.ingresses["default"];
  assert.ok(endpoint, "no endpoint for bus");
  return {
    id: res.environmentId,
    endpoint,
    prefix: endpoint.attributes["KAFKA_TOPIC_PREFIX"] ?? "",
    brokers: endpoint.attributes["KAFKA_BROKERS"] ?? "",
    registry: endpoint.attributes["SCHEMA_REGISTRY_URL"] ?? "",
  };
}

function client(brokers: string, clientId: string): Kafka {
  return new Kafka({ clientId, brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 5, initialRetryTime: 100 } });
}

/** Produces `messages` to `topic`, then consumes from the start until `count` arrived. */
async function roundTrip(
  kafka: Kafka,
  topic: string,
  groupId: string,
  messages: { key: string; value: Buffer | string }[],
  compression = CompressionTypes.None,
): Promise<{ key: string; value: Buffer }[]> {
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, messages, compression });
  await producer.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId, sessionTimeout: 6_000, heartbeatInterval: 500 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: { key: string; value: Buffer }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${got.length} of ${messages.length} from ${topic}`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push({ key: message.key?.toString() ?? "", value: message.value ?? Buffer.alloc(0) });
        if (got.length >= messages.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return got;
}

/** Topics and groups of the broker at `brokers` (a direct admin connection). */
async function brokerNames(brokers: string): Promise<{ topics: string[]; groups: string[] }> {
  const admin = client(brokers, "spec-admin").admin();
  await admin.connect();
  try {
    return { topics: await admin.listTopics(), groups: (await admin.listGroups()).groups.map((g) => g.groupId) };
  } finally {
    await admin.disconnect();
  }
}

/** Java processes whose working dir is a kafka server dir of this rigd. */
function brokerProcesses(rigdPid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (readlinkSync(`/proc/${entry}/cwd`).includes(`kafka-${rigdPid}-`) && state !== "Z") found.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return found;
}

function kafkaEvents(events: Event[], kind: "kafkaProduced" | "kafkaFetched"): Extract<Event["payload"], { case: typeof kind }>["value"][] {
  return events.flatMap((e) => (e.payload.case === kind ? [e.payload.value as Extract<Event["payload"], { case: typeof kind }>["value"]] : []));
}

describe("kafka type (real broker, kafkajs)", { timeout: 300_000 }, () => {
  let rigd: Rigd;
  let direct = "";

  before(async () => {
    rigd = await startRigd();
  });
  after(async () => {
    const pid = rigd.child.pid as number;
    await rigd.stop({ keepDir: true });
    assert.deepEqual(brokerProcesses(pid), [], "no broker may outlive rigd");
    const left = existsSync(join(rigd.rigDir, "pools")) ? readdirSync(join(rigd.rigDir, "pools")) : [];
    rmSync(rigd.rigDir, { recursive: true, force: true });
    assert.deepEqual(left, [], "no broker dir may outlive rigd");
  });

  it("isolates two parallel environments on the shared broker by prefix and deletes their topics and groups at release", async () => {
    // One observed (kafkajs through the Kafka proxy), one not: the same broker either way.
    const [a, b] = await Promise.all([createKafkaEnv(rigd, "kafka-a", { observe: true }), createKafkaEnv(rigd, "kafka-b")]);
    direct = b.brokers;
    assert.notEqual(a.brokers, b.brokers, "the observed environment reaches the broker through its proxy");
    assert.match(a.prefix, /^rig-[0-9a-f]{8}\.$/);
    assert.notEqual(a.prefix, b.prefix);

    const [gotA, gotB] = await Promise.all([
      roundTrip(client(a.brokers, "a"), `${a.prefix}orders`, `${a.prefix}group`, [{ key: "a1", value: "from a" }]),
      roundTrip(client(b.brokers, "b"), `${b.prefix}orders`, `${b.prefix}group`, [{ key: "b1", value: "from b" }, { key: "b2", value: "again b" }]),
    ]);
    assert.deepEqual(gotA.map((m) => m.value.toString()), ["from a"]);
    assert.deepEqual(gotB.map((m) => m.value.toString()).sort(), ["again b", "from b"]);
    // An auto-created topic under the prefix is the environment's too.
    await roundTrip(client(a.brokers, "a2"), `${a.prefix}auto`, `${a.prefix}group2`, [{ key: "x", value: "auto" }]);

    const before = await brokerNames(direct);
    assert.ok(before.topics.includes(`${a.prefix}orders`) && before.topics.includes(`${a.prefix}auto`) && before.topics.includes(`${b.prefix}orders`));
    assert.ok(before.groups.includes(`${a.prefix}group`));

    // A consumer of the observed environment that the test never closes: its group cannot
    // be deleted while it has members, and must not keep a's topics alive. (The proxy's
    // teardown cuts it off, so it cannot re-create them by auto-creation either.)
    // No retries, no restart: once the proxy is gone it stops instead of reconnecting forever.
    const lingering = new Kafka({ clientId: "lingering", brokers: [a.brokers], logLevel: logLevel.NOTHING, retry: { retries: 0 } }).consumer({
      groupId: `${a.prefix}lingering`,
      retry: { retries: 0, restartOnFailure: async () => false },
    });
    await lingering.connect();
    await lingering.subscribe({ topic: `${a.prefix}orders`, fromBeginning: true });
    await lingering.run({ eachMessage: async () => undefined });
    try {
      await rigd.client.destroyEnvironment({ environmentId: a.id, reason: "test done" });
      await eventually(async () => !(await brokerNames(direct)).topics.some((t) => t.startsWith(a.prefix)), 20_000, `topics of ${a.prefix} deleted`);
    } finally {
      await Promise.race([lingering.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 5_000).unref())]);
    }
    const afterA = await brokerNames(direct);
    const groupsLeft = afterA.groups.filter((g) => g.startsWith(a.prefix) && g !== `${a.prefix}lingering`);
    assert.deepEqual(groupsLeft, [], "every group of a without live members is deleted");
    assert.ok(afterA.topics.includes(`${b.prefix}orders`), "releasing one environment must not touch the other's topics");

    await rigd.client.destroyEnvironment({ environmentId: b.id, reason: "test done" });
    await eventually(async () => {
      const names = await brokerNames(direct);
      return !names.topics.some((t) => t.startsWith(b.prefix)) && !names.groups.some((g) => g.startsWith(b.prefix));
    }, 20_000, `topics and groups of ${b.prefix} deleted`);
  });

  it("serves Confluent's schema registry API with the spec's schemas registered", async () => {
    const env = await createKafkaEnv(rigd, "kafka-registry");
    try {
      const get = async (path: string) => {
        const res = await fetch(`${env.registry}${path}`);
        return { status: res.status, body: (await res.json()) as Record<string, unknown> & unknown[] };
      };
      const subject = `${env.prefix}orders-avro-value`;
      assert.deepEqual((await get("/subjects")).body, [subject]);
      const latest = await get(`/subjects/${subject}/versions/latest`);
      assert.equal(latest.body["version"], 1);
      assert.equal(JSON.parse(String(latest.body["schema"]))["name"], "Order");
      assert.equal((await get(`/schemas/ids/${String(latest.body["id"])}`)).status, 200);
      // An incompatible change (a new field without a default) is refused, a compatible one taken.
      const register = (schema: object) =>
        fetch(`${env.registry}/subjects/${subject}/versions`, {
          method: "POST",
          headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
          body: JSON.stringify({ schema: JSON.stringify(schema) }),
        });
      const base = JSON.parse(ORDER_SCHEMA) as { fields: object[] };
      const incompatible = await register({ ...base, fields: [...base.fields, { name: "qty", type: "int" }] });
      assert.equal(incompatible.status, 409);
      const compatible = await register({ ...base, fields: [...base.fields, { name: "qty", type: "int", default: 1 }] });
      assert.equal(compatible.status, 200);
      assert.deepEqual((await get(`/subjects/${subject}/versions`)).body, [1, 2]);
      const missing = await get("/subjects/nope/versions/latest");
      assert.equal(missing.status, 404);
      assert.equal(missing.body["error_code"], 40401);
    } finally {
      await rigd.client.destroyEnvironment({ environmentId: env.id, reason: "test done" });
    }
  });

  it("records produce and fetch through the kafka proxy with JSON and Avro values decoded (gzip batches)", async () => {
    const env = await createKafkaEnv(rigd, "kafka-observed", { observe: true });
    try {
      assert.notEqual(env.brokers, direct, "observed: the test's bootstrap address is the proxy");
      const state = await rigd.client.getEnvironment({ environmentId: env.id });
      assert.ok(state.environment?.services.some((s) => s.type === "proxy"), "no proxy node on the test's edge");

      const kafka = client(env.brokers, "observed-client");
      const registry = await fetch(`${env.registry}/subjects/${env.prefix}orders-avro-value/versions/latest`);
      const { id: schemaId } = (await registry.json()) as { id: number };
      const order = avro.Type.forSchema(JSON.parse(ORDER_SCHEMA) as avro.Schema);
      const avroValue = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), order.toBuffer({ id: 7, item: "tea" })]);
      avroValue.writeInt32BE(schemaId, 1);
      const got = await roundTrip(
        kafka,
        `${env.prefix}orders`,
        `${env.prefix}observers`,
        [
          { key: "k-json", value: JSON.stringify({ id: 1, item: "coffee" }) },
          { key: "k-avro", value: avroValue },
        ],
        CompressionTypes.GZIP,
      );
      assert.equal(got.length, 2);

      const events = await collectEvents(rigd, env.id, (e) => e.payload.case === "kafkaFetched" && e.payload.value.records.length >= 1, { timeoutMs: 20_000 });
      const produced = kafkaEvents(events, "kafkaProduced").flatMap((p) => p.records);
      const json = produced.find((r) => r.keyText === "k-json");
      assert.ok(json, `no produced record with key k-json in ${JSON.stringify(kafkaEvents(events, "kafkaProduced"), (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`);
      assert.equal(json.topic, `${env.prefix}orders`);
      assert.equal(json.valueFormat, "json");
      assert.deepEqual(JSON.parse(json.valueJson), { id: 1, item: "coffee" });
      assert.ok(json.offset >= 0n, "the produce response's base offset gives the record its offset");
      assert.equal(json.valueSize, BigInt(Buffer.byteLength(JSON.stringify({ id: 1, item: "coffee" }))));
      const avroRecord = produced.find((r) => r.keyText === "k-avro");
      assert.equal(avroRecord?.valueFormat, "avro");
      assert.equal(avroRecord?.schemaId, schemaId);
      assert.deepEqual(JSON.parse(avroRecord?.valueJson ?? "null"), { id: 7, item: "tea" });

      const fetched = kafkaEvents(events, "kafkaFetched").flatMap((f) => f.records);
      const fetchedJson = fetched.find((r) => r.keyText === "k-json");
      assert.ok(fetchedJson, "the fetched records include the JSON one");
      assert.equal(fetchedJson.offset, json.offset, "fetch and produce agree on the offset");
      assert.equal(fetchedJson.partition, json.partition);
      assert.deepEqual(JSON.parse(fetchedJson.valueJson), { id: 1, item: "coffee" });

      // A large produce: 100 records kept, all counted.
      const bulk = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await bulk.connect();
      await bulk.send({ topic: `${env.prefix}bulk`, messages: Array.from({ length: 150 }, (_, i) => ({ key: `b${i}`, value: `{"i":${i}}` })) });
      await bulk.disconnect();
      const bulkEvents = await collectEvents(rigd, env.id, (e) => e.payload.case === "kafkaProduced" && e.payload.value.records[0]?.topic === `${env.prefix}bulk`, { timeoutMs: 20_000 });
      const bulkProduced = kafkaEvents(bulkEvents, "kafkaProduced").find((p) => p.records[0]?.topic === `${env.prefix}bulk`);
      assert.equal(bulkProduced?.recordsTotal, 150);
      assert.equal(bulkProduced?.records.length, 100);

      // `rig traffic` lists them, and shows a produce's records with the values decoded.
      const listing = await rigCli(["traffic", env.id], { RIG_DIR: rigd.rigDir });
      assert.match(listing.stdout, new RegExp(`Kafka produce ${env.prefix.replace(".", "\\.")}orders`));
      assert.match(listing.stdout, /Kafka fetch/);
      const n = /#(\d+)\s+\S+\s+test -> bus\s+Kafka produce/.exec(listing.stdout)?.[1];
      assert.ok(n, listing.stdout);
      const detail = await rigCli(["traffic", env.id, "--detail", n], { RIG_DIR: rigd.rigDir });
      assert.match(detail.stdout, /key=k-json \d+ bytes json/);
      assert.match(detail.stdout, /"item": "coffee"/);
    } finally {
      await rigd.client.destroyEnvironment({ environmentId: env.id, reason: "test done" });
    }
  });

  it("records the flexible protocol versions of Kafka's Java client, zstd batches decoded", async () => {
    const env = await createKafkaEnv(rigd, "kafka-java", { observe: true });
    try {
      const topic = `${env.prefix}java`;
      const install = await findKafkaInstall(rigd.rigDir);
      const { stdout } = await promisify(execFile)(
        install.java,
        ["-XX:TieredStopAtLevel=1", "-Dlog4j2.level=ERROR", "-cp", install.classPath, JAVA_CLIENT, env.brokers, topic, `${env.prefix}java-group`, "3", "zstd"],
        { timeout: 120_000 },
      );
      const lines = stdout.trim().split("\n");
      assert.deepEqual(lines.filter((l) => l.startsWith("broker=")), [`broker=${env.brokers}`], "DescribeCluster must name the proxy");
      assert.deepEqual(lines.filter((l) => !l.startsWith("broker=")).sort(), ['j0={"n":0,"by":"java"}', 'j1={"n":1,"by":"java"}', 'j2={"n":2,"by":"java"}']);
      const events = await collectEvents(rigd, env.id, (e) => e.payload.case === "kafkaFetched" && e.payload.value.records.length >= 1, { timeoutMs: 20_000 });
      const produced = kafkaEvents(events, "kafkaProduced");
      assert.ok(produced.every((p) => p.apiVersion >= 9), `flexible Produce versions expected: ${produced.map((p) => p.apiVersion).join(",")}`);
      const records = produced.flatMap((p) => p.records).filter((r) => r.topic === topic);
      assert.deepEqual(records.map((r) => r.keyText).sort(), ["j0", "j1", "j2"]);
      assert.ok(records.every((r) => r.valueFormat === "json" && r.offset >= 0n), "zstd batches decoded, offsets assigned");
      const fetched = kafkaEvents(events, "kafkaFetched");
      assert.ok(fetched.every((f) => f.apiVersion >= 12), `flexible Fetch versions expected: ${fetched.map((f) => f.apiVersion).join(",")}`);
      assert.deepEqual(JSON.parse(fetched.flatMap((f) => f.records).find((r) => r.keyText === "j1")?.valueJson ?? "null"), { n: 1, by: "java" });
    } finally {
      await rigd.client.destroyEnvironment({ environmentId: env.id, reason: "test done" });
    }
  });

  it("runs a dedicated broker per service when asked, stopped at release", async () => {
    const pid = rigd.child.pid as number;
    const before = brokerProcesses(pid).length;
    const env = await createKafkaEnv(rigd, "kafka-dedicated", { dedicated: true });
    assert.equal(env.prefix, "");
    assert.notEqual(env.brokers, direct);
    assert.equal(brokerProcesses(pid).length, before + 1, "a second broker runs");
    const got = await roundTrip(client(env.brokers, "dedicated"), "orders", "group", [{ key: "d", value: "dedicated" }]);
    assert.equal(got[0]?.value.toString(), "dedicated");
    await rigd.client.destroyEnvironment({ environmentId: env.id, reason: "test done" });
    await eventually(() => brokerProcesses(pid).length === before, 20_000, "the dedicated broker stopped");
  });
});

describe("kafka type: bad input and faults", { timeout: 300_000 }, () => {
  it("refuses a spec with bad topics and schemas, listing every problem", async () => {
    const rigd = await startRigd();
    try {
      const bad = kafkaSpec("kafka-bad", false, {
        topics: [{ name: "has space" }, { name: "dup" }, { name: "dup", partitions: -1 }],
        avroSchemas: [{ subject: "", schema: '{"type":"record","name":"X"}' }],
      });
      await assert.rejects(rigd.client.createEnvironment({ spec: bad }), (err: Error) => {
        for (const expected of [
          /bus.*kafka\.topics\[0\]\.name.*not a topic name/,
          /kafka\.topics\[2\]\.name.*declared twice/,
          /kafka\.topics\[2\]\.partitions/,
          /kafka\.avro_schemas\[0\]\.subject.*required/,
          /kafka\.avro_schemas\[0\]\.schema.*Invalid schema/,
        ]) {
          assert.match(err.message, expected);
        }
        assert.match(err.message, /invalid_argument/i);
        return true;
      });
    } finally {
      await rigd.stop();
    }
  });

  it("fails the service saying how to install Kafka when the jars are missing", async () => {
    const home = mkdtempSync(join(tmpdir(), "rig-kafka-home-"));
    const rigd = await startRigd([], { env: { HOME: home, RIG_KAFKA_LIBS: join(home, "none") } });
    try {
      const res = await rigd.client.createEnvironment({ spec: kafkaSpec("kafka-missing", false) });
      const events = await collectEvents(rigd, res.environmentId, (e) => e.type === "environment.down");
      const down = events.find((e) => e.payload.case === "environmentDown");
      assert.ok(down?.payload.case === "environmentDown");
      assert.match(JSON.stringify(down.payload.value), /no Kafka 4\.1\.1 broker jars.*scripts\/install-kafka\.sh/);
    } finally {
      await rigd.stop();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("reaps the broker of a rigd killed with SIGKILL, and cuts a connection that is not Kafka", async () => {
    const first = await startRigd();
    const firstPid = first.child.pid as number;
    let second: Rigd | undefined;
    try {
      const env = await createKafkaEnv(first, "kafka-killed", { observe: true });
      // Not Kafka framing (an HTTP request): the proxy cuts the connection and goes on serving.
      const cut = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: env.endpoint.host, port: env.endpoint.port }, () => socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        socket.on("error", () => undefined);
        socket.once("close", () => resolve(true));
        setTimeout(() => resolve(false), 10_000).unref();
      });
      assert.ok(cut, "the proxy must close a connection that does not speak Kafka");
      const got = await roundTrip(client(env.brokers, "after-garbage"), `${env.prefix}orders`, `${env.prefix}g`, [{ key: "k", value: "still served" }]);
      assert.equal(got[0]?.value.toString(), "still served");

      assert.equal(brokerProcesses(firstPid).length, 1);
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("exit", r));
      // The watchdog of rigd kills its process groups within a few seconds; either way none may stay.
      second = await startRigd([], { rigDir: first.rigDir });
      await eventually(() => brokerProcesses(firstPid).length === 0, 20_000, "the dead rigd's broker reaped");
      await eventually(() => !readdirSync(join(first.rigDir, "pools")).some((d) => d.startsWith(`kafka-${firstPid}-`)), 10_000, "its dir removed");
    } finally {
      // A failure on the way (no broker jars, say) leaves no rigd and no rig dir behind.
      await second?.stop({ keepDir: true });
      await first.stop();
    }
  });
});
