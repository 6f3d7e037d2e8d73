/**
 * Builder for `kafka` services: a topic prefix on rigd's pooled Apache Kafka 4 broker
 * (or a broker of its own with `dedicatedCluster()`), with a Confluent-compatible schema
 * registry. The ingress (protocol kafka) publishes KAFKA_BROKERS (bootstrap servers),
 * KAFKA_TOPIC_PREFIX and SCHEMA_REGISTRY_URL; topics and subjects declared here are
 * created under the prefix before the service is ready, and deleted at release.
 */
import { create } from "@bufbuild/protobuf";
import { KafkaAvroSchemaSchema, KafkaConfigSchema, KafkaTopicSchema } from "../gen/rig/v1/spec_pb.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** Kafka topics of their own for this environment. */
export class KafkaBuilder extends ServiceBuilder {
  readonly #topics: { name: string; partitions: number }[] = [];
  readonly #schemas: { subject: string; schema: string }[] = [];
  #dedicated = false;

  /** A topic created (as KAFKA_TOPIC_PREFIX + name) before the service is ready. */
  topic(name: string, options: { partitions?: number } = {}): this {
    this.#topics.push({ name, partitions: options.partitions ?? 1 });
    return this;
  }

  /**
   * An Avro schema registered under `subject` (prefixed like the topics, e.g.
   * `orders-value`) in the environment's schema registry before the service is ready.
   * `schema` is the Avro JSON, as a string or an object.
   */
  avroSchema(subject: string, schema: string | object): this {
    this.#schemas.push({ subject, schema: typeof schema === "string" ? schema : JSON.stringify(schema) });
    return this;
  }

  /** A broker of its own (no prefix) instead of a prefix on rigd's shared broker; slower to start. */
  dedicatedCluster(): this {
    this.#dedicated = true;
    return this;
  }

  protected override config(): ServiceConfig {
    return {
      case: "kafka",
      value: create(KafkaConfigSchema, {
        topics: this.#topics.map((t) => create(KafkaTopicSchema, t)),
        avroSchemas: this.#schemas.map((s) => create(KafkaAvroSchemaSchema, s)),
        dedicatedCluster: this.#dedicated,
      }),
    };
  }
}
