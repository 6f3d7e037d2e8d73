/**
 * A worker for the kafka SDK test: consumes orders from its `bus` egress
 * (BUS_KAFKA_BROKERS, BUS_KAFKA_TOPIC_PREFIX from rig's wiring) and produces each back,
 * marked shipped, to the `shipments` topic. Runs until SIGTERM.
 */
import { Kafka, logLevel, Partitioners } from "kafkajs";

const brokers = process.env.BUS_KAFKA_BROKERS;
const prefix = process.env.BUS_KAFKA_TOPIC_PREFIX ?? "";
if (!brokers) throw new Error("no BUS_KAFKA_BROKERS in the wiring");
const kafka = new Kafka({ clientId: "shipper", brokers: [brokers], logLevel: logLevel.ERROR });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
const consumer = kafka.consumer({ groupId: `${prefix}shipper`, sessionTimeout: 6_000, heartbeatInterval: 500 });
await producer.connect();
await consumer.connect();
await consumer.subscribe({ topic: `${prefix}orders`, fromBeginning: true });
await consumer.run({
  eachMessage: async ({ message }) => {
    const order = JSON.parse(message.value?.toString() ?? "{}") as Record<string, unknown>;
    await producer.send({ topic: `${prefix}shipments`, messages: [{ key: message.key, value: JSON.stringify({ ...order, shipped: true }) }] });
  },
});
process.once("SIGTERM", () => {
  void Promise.all([consumer.disconnect(), producer.disconnect()]).finally(() => process.exit(0));
});
