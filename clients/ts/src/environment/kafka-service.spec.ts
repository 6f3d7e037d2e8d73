/**
 * `rig.kafka()` through the SDK against a real rigd and Kafka broker (observe on, the
 * SDK's default): a worker process consumes orders from its `bus` egress and produces
 * shipments; the test talks to the same topics with kafkajs. Both edges go through
 * rigd's Kafka proxy, so the log holds the worker's produce with the value decoded.
 * Skipped without the Kafka jars (scripts/install-kafka.sh).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Kafka, logLevel, Partitioners } from "kafkajs";
import { rig } from "../index.js";
import { fixture } from "../test-fixtures/run-node.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

const libs = process.env.RIG_KAFKA_LIBS ?? join(homedir(), ".rig", "cache", "kafka-4.1.1", "libs");
const skip = existsSync(join(libs, "kafka_2.13-4.1.1.jar")) ? false : `needs the Kafka jars in ${libs} (scripts/install-kafka.sh)`;

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose()); // stopping rigd stops its broker

test("a worker and the test share a kafka service's topics through the observing proxy", { skip, timeout: 120_000 }, async (t) => {
  const env = await rig.up(t, {
    bus: rig.kafka().topic("orders", { partitions: 2 }).topic("shipments"),
    shipper: rig.node(fixture("kafka-shipper.js")).egress("bus").noIngress(),
  });
  const bus = env.kafka("bus");
  const prefix = bus.prefix;
  assert.match(prefix, /^rig-[0-9a-f]{8}\.$/);
  assert.deepEqual(bus.brokers, [env.endpoint("bus").hostPort]);
  assert.equal(bus.name("orders"), `${prefix}orders`);
  assert.match(bus.schemaRegistryUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  const kafka = new Kafka({ clientId: "sdk-test", brokers: bus.brokers, logLevel: logLevel.NOTHING });

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic: `${prefix}orders`, messages: [{ key: "o-1", value: JSON.stringify({ id: 1, item: "pear" }) }] });
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: `${prefix}test` });
  await consumer.connect();
  await consumer.subscribe({ topic: `${prefix}shipments`, fromBeginning: true });
  const shipped = await new Promise<unknown>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => resolve(JSON.parse(message.value?.toString() ?? "null")) });
  });
  await consumer.disconnect();
  assert.deepEqual(shipped, { id: 1, item: "pear", shipped: true });

  // The worker's produce went through the proxy on its edge, value decoded.
  for await (const event of env.events()) {
    if (event.payload.case !== "kafkaProduced" || event.payload.value.source !== "shipper") continue;
    const record = event.payload.value.records[0];
    assert.equal(record?.topic, `${prefix}shipments`);
    assert.deepEqual(JSON.parse(record?.valueJson ?? "null"), { id: 1, item: "pear", shipped: true });
    break;
  }
});
