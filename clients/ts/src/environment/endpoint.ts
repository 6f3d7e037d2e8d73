/**
 * Endpoints as the test sees them: a resolved ingress with a ready-made `hostPort` and
 * `url`, plus typed readers for the attributes well-known service types publish.
 */
import type { Endpoint as EndpointMessage } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";

/** Protocol of an ingress, as a lower-case name. */
export type ProtocolName = "tcp" | "http" | "grpc" | "kafka";

/** A resolved ingress: where to connect and what the service says about itself. */
export interface Endpoint {
  readonly host: string;
  readonly port: number;
  /** `host:port`. */
  readonly hostPort: string;
  /** Protocol of the ingress; "tcp" when the server did not say. */
  readonly protocol: ProtocolName;
  /** `http://host:port` for http and grpc ingresses, `tcp://host:port` for tcp, `kafka://host:port` for kafka. */
  readonly url: string;
  /** Static attributes with `${HOST}`, `${PORT}` and `${HOSTPORT}` already resolved (e.g. PGUSER, REDIS_URL). */
  readonly attributes: Readonly<Record<string, string>>;
}

const PROTOCOL_NAMES: Readonly<Record<number, ProtocolName>> = {
  [Protocol.TCP]: "tcp",
  [Protocol.HTTP]: "http",
  [Protocol.GRPC]: "grpc",
  [Protocol.KAFKA]: "kafka",
};

/** Converts an API endpoint message into the SDK's endpoint. */
export function toEndpoint(message: EndpointMessage): Endpoint {
  const protocol = PROTOCOL_NAMES[message.protocol] ?? "tcp";
  const hostPort = `${message.host.includes(":") ? `[${message.host}]` : message.host}:${message.port}`;
  const scheme = protocol === "grpc" ? "http" : protocol;
  return Object.freeze({
    host: message.host,
    port: message.port,
    hostPort,
    protocol,
    url: `${scheme}://${hostPort}`,
    attributes: Object.freeze({ ...message.attributes }),
  });
}

/** Converts a map of endpoint messages (ingresses or egresses) into SDK endpoints. */
export function toEndpoints(messages: Readonly<Record<string, EndpointMessage>>): Readonly<Record<string, Endpoint>> {
  return Object.freeze(Object.fromEntries(Object.entries(messages).map(([name, m]) => [name, toEndpoint(m)])));
}

/**
 * A `postgres://` connection string for an endpoint of a `postgres` service. Host and port
 * come from the endpoint (so an observing proxy is used when there is one); the rest comes
 * from the published DATABASE_URL (options such as sslmode included), else from the PG*
 * attributes. Same rules as the Go and Python SDKs.
 */
export function postgresUrl(endpoint: Endpoint): string {
  const a = endpoint.attributes;
  if (a.DATABASE_URL) {
    const url = new URL(a.DATABASE_URL);
    url.host = endpoint.hostPort;
    return url.toString();
  }
  const user = a.PGUSER ?? "postgres";
  const password = a.PGPASSWORD;
  const database = a.PGDATABASE ?? user;
  const auth = encodeURIComponent(user) + (password ? `:${encodeURIComponent(password)}` : "");
  return `postgres://${auth}@${endpoint.hostPort}/${encodeURIComponent(database)}`;
}

/** What a Kafka client needs from an endpoint of a `kafka` service. */
export interface KafkaEndpoint {
  /** Bootstrap servers (the endpoint's, so an observing proxy is used when there is one). */
  readonly brokers: string[];
  /** KAFKA_TOPIC_PREFIX: the environment's namespace of topics and groups ("" on a dedicated cluster). */
  readonly prefix: string;
  /** SCHEMA_REGISTRY_URL: the environment's Confluent-compatible schema registry. */
  readonly schemaRegistryUrl: string;
  /** `prefix + name`: a topic, group or subject name in the environment's namespace. */
  name(name: string): string;
}

/** The Kafka settings of an endpoint of a `kafka` service (from its attributes). */
export function kafkaEndpoint(endpoint: Endpoint): KafkaEndpoint {
  const a = endpoint.attributes;
  const prefix = a.KAFKA_TOPIC_PREFIX ?? "";
  return {
    brokers: (a.KAFKA_BROKERS ?? endpoint.hostPort).split(","),
    prefix,
    schemaRegistryUrl: a.SCHEMA_REGISTRY_URL ?? "",
    name: (name) => prefix + name,
  };
}

/**
 * A `redis://` URL for an endpoint of a `redis` service: the endpoint's host and port with
 * the database number (and credentials) of the REDIS_URL attribute.
 */
export function redisUrl(endpoint: Endpoint): string {
  const published = endpoint.attributes.REDIS_URL;
  if (!published) return `redis://${endpoint.hostPort}`;
  const url = new URL(published);
  url.host = endpoint.hostPort;
  return url.toString();
}
