/**
 * The `kafka` service type: Apache Kafka 4 (KRaft) from the pooled broker of rigd.
 *
 * Isolation: on the shared broker each service gets a topic prefix (`rig-<hex>.`), and
 * its release deletes every topic and consumer group under it; `dedicated_cluster`
 * gets a broker of its own (no prefix), stopped at release. Each service also gets a
 * schema registry (Confluent's REST API, AVRO; `../pools/kafka-schema-registry.ts`)
 * on a port of its own over a namespace of rigd's schema store.
 *
 * Attributes of the one ingress (protocol kafka): KAFKA_BROKERS (the bootstrap
 * servers, `${HOSTPORT}`, so a proxy in between republishes itself),
 * KAFKA_TOPIC_PREFIX, SCHEMA_REGISTRY_URL. Before ready: `topics` are created under
 * the prefix and `avro_schemas` registered in order. Readiness: the broker answers
 * Metadata.
 */
import { Protocol, type KafkaConfig } from "../gen/rig/v1/spec_pb.js";
import { SHARED_KAFKA_KEY, type KafkaLease, type KafkaPool } from "../pools/kafka-backend.js";
import { findKafkaInstall, KAFKA_VERSION } from "../pools/kafka-install.js";
import { startSchemaRegistry, type SchemaRegistryServer } from "../pools/kafka-schema-registry.js";
import type { SchemaNamespace, SchemaStore } from "../pools/kafka-schema-store.js";
import { leasedService } from "../pools/leased-service.js";
import type { PublishedEndpoint, ServiceType } from "../contract/service-type.js";

/** What the kafka type needs from rigd. */
export interface KafkaTypeDeps {
  readonly rigDir: string;
  /** One broker for every environment, a prefix per lease. */
  readonly shared: KafkaPool;
  /** A broker per lease (dedicated_cluster). */
  readonly dedicated: KafkaPool;
  readonly schemas: SchemaStore;
}

interface KafkaLeaseState {
  readonly lease: KafkaLease;
  readonly registry: SchemaRegistryServer;
  readonly namespace: SchemaNamespace;
}

/** Legal topic names (Kafka's own rule), without the prefix rig adds. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,200}$/;

/** The kafka type. */
export function createKafkaType(deps: KafkaTypeDeps): ServiceType<KafkaConfig> {
  const states = new Map<string, KafkaLeaseState>();
  const keyOf = (ctx: { environment: { id: string }; service: { name: string } }): string => `${ctx.environment.id}/${ctx.service.name}`;
  const stateOf = (ctx: { environment: { id: string }; service: { name: string } }): KafkaLeaseState => {
    const state = states.get(keyOf(ctx));
    if (!state) throw new Error(`kafka service ${ctx.service.name} has no broker lease (publish did not run or it was released)`);
    return state;
  };

  return {
    name: "kafka",
    defaults: { defaultProtocol: Protocol.KAFKA, serverHooks: [], attributes: ["KAFKA_BROKERS", "KAFKA_TOPIC_PREFIX", "SCHEMA_REGISTRY_URL"] },

    configOf: (service) => (service.config.case === "kafka" ? service.config.value : undefined),

    validate({ service, problems }) {
      if (service.ingresses.length > 1) problems.add("ingresses", "a kafka service has exactly one ingress (the broker)");
      const seen = new Set<string>();
      service.config.topics.forEach((topic, i) => {
        if (!TOPIC_NAME.test(topic.name)) {
          problems.add(`kafka.topics[${i}].name`, `"${topic.name}" is not a topic name: 1-200 of a-z A-Z 0-9 . _ -`);
        }
        if (seen.has(topic.name)) problems.add(`kafka.topics[${i}].name`, `topic "${topic.name}" is declared twice`);
        seen.add(topic.name);
        if (topic.partitions < 0 || topic.partitions > 1000) {
          problems.add(`kafka.topics[${i}].partitions`, `${topic.partitions} partitions: give 1-1000 (0 means 1)`);
        }
      });
      service.config.avroSchemas.forEach((schema, i) => {
        if (!schema.subject) problems.add(`kafka.avro_schemas[${i}].subject`, "a subject is required (e.g. orders-value)");
        try {
          deps.schemas.parse(schema.schema);
        } catch (err) {
          problems.add(`kafka.avro_schemas[${i}].schema`, err instanceof Error ? err.message : String(err));
        }
      });
    },

    artifacts() {
      return [
        {
          key: `kafka-broker:${KAFKA_VERSION}`,
          description: `Apache Kafka ${KAFKA_VERSION} broker jars and Java 17+`,
          resolve: () => findKafkaInstall(deps.rigDir),
        },
      ];
    },

    async publish(ctx) {
      const pool = ctx.service.config.dedicatedCluster ? deps.dedicated : deps.shared;
      const poolKey = ctx.service.config.dedicatedCluster ? keyOf(ctx) : SHARED_KAFKA_KEY;
      const lease = await pool.acquire(poolKey, { service: ctx.service.name }, ctx.signal);
      ctx.onRelease(() => lease.release());
      const namespace = deps.schemas.namespace();
      const registry = await startSchemaRegistry(namespace, await ctx.allocatePort());
      ctx.onRelease(() => registry.close());
      const key = keyOf(ctx);
      states.set(key, { lease, registry, namespace });
      ctx.onRelease(() => void states.delete(key));
      const endpoints: Record<string, PublishedEndpoint> = {};
      for (const ingress of ctx.service.ingresses) {
        endpoints[ingress.name] = {
          host: lease.backend.host,
          port: lease.backend.port,
          protocol: ingress.protocol,
          attributes: {
            KAFKA_BROKERS: "${HOSTPORT}",
            KAFKA_TOPIC_PREFIX: lease.data.prefix,
            SCHEMA_REGISTRY_URL: registry.url,
            ...ingress.attributes,
          },
        };
      }
      ctx.log.debug({ prefix: lease.data.prefix, broker: lease.backend.name, registry: registry.url }, "kafka lease acquired");
      return endpoints;
    },

    async start(ctx) {
      const { lease, namespace } = stateOf(ctx);
      const { topics, avroSchemas } = ctx.service.config;
      await lease.backend.admin.createTopics(topics.map((t) => ({ name: lease.data.prefix + t.name, partitions: t.partitions || 1 })));
      for (const schema of avroSchemas) {
        const id = namespace.register(lease.data.prefix + schema.subject, schema.schema);
        ctx.log.debug({ subject: lease.data.prefix + schema.subject, id }, "avro schema registered");
      }
      const where = lease.data.prefix ? `prefix ${lease.data.prefix} on ${lease.backend.name}` : lease.backend.name;
      return leasedService(`kafka ${where}`, lease.backend.exited);
    },

    readiness(ctx) {
      const { lease } = stateOf(ctx);
      return (signal) => lease.backend.admin.ping(signal);
    },
  };
}
