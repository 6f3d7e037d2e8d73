/**
 * rigd's admin connection to a pooled broker (kafkajs): readiness (the broker answers
 * Metadata), creating an environment's topics under its prefix, and deleting every
 * topic and consumer group under a prefix when the environment releases its lease.
 */
import { createRequire } from "node:module";
import { inRigdBundle } from "../os/rigd-bundle.js";
import type { Admin } from "kafkajs";

let loaded: typeof import("kafkajs") | undefined;

/**
 * kafkajs, loaded on first use: ~55 ms a rigd that never runs Kafka would pay at every
 * start. A CommonJS package; see os/rigd-bundle.ts.
 */
function kafkajs(): typeof import("kafkajs") {
  loaded ??= (inRigdBundle ? require("kafkajs") : createRequire(import.meta.url)("kafkajs")) as typeof import("kafkajs");
  return loaded;
}

/** What one topic gets. */
export interface TopicRequest {
  readonly name: string;
  readonly partitions: number;
}

/** An admin client of one broker. */
export interface KafkaAdmin {
  /** True once the broker answers a Metadata request (ApiVersions first, as every client). */
  ping(signal: AbortSignal): Promise<{ ready: boolean; detail?: string }>;
  createTopics(topics: readonly TopicRequest[]): Promise<void>;
  /** Deletes the topics and consumer groups whose names start with `prefix`; returns the topics. */
  deletePrefixed(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

/** An admin client of the broker at `bootstrap` (`host:port`); connects on first use. */
export function kafkaAdmin(bootstrap: string): KafkaAdmin {
  const { Kafka, logLevel } = kafkajs();
  const kafka = new Kafka({
    clientId: "rigd",
    brokers: [bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 2_000,
    retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 500 },
  });
  let admin: Admin | undefined;
  const connected = async (): Promise<Admin> => {
    if (admin) return admin;
    const fresh = kafka.admin();
    await fresh.connect();
    admin = fresh;
    return fresh;
  };
  return {
    async ping(signal) {
      // One attempt per probe: the caller polls. A separate client so a half-open
      // connection of the shared one never answers for a broker that is gone.
      const probe = new Kafka({ clientId: "rigd-ping", brokers: [bootstrap], logLevel: logLevel.NOTHING, connectionTimeout: 1_000, retry: { retries: 0 } }).admin();
      try {
        signal.throwIfAborted();
        await probe.connect();
        const cluster = await probe.describeCluster();
        return cluster.brokers.length > 0 ? { ready: true } : { ready: false, detail: "the broker reports no brokers yet" };
      } catch (err) {
        return { ready: false, detail: err instanceof Error ? err.message : String(err) };
      } finally {
        await probe.disconnect().catch(() => undefined);
      }
    },
    async createTopics(topics) {
      if (topics.length === 0) return;
      const client = await connected();
      await client.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ topic: t.name, numPartitions: t.partitions, replicationFactor: 1 })),
      });
    },
    async deletePrefixed(prefix) {
      if (!prefix) throw new Error("refusing to delete every topic of the broker: the prefix is empty");
      const client = await connected();
      // Topics first: a group with a member still connected (a test that never closed its
      // consumer) cannot be deleted, and must not keep the topics alive.
      const topics = (await client.listTopics()).filter((t) => t.startsWith(prefix));
      if (topics.length > 0) await client.deleteTopics({ topics, timeout: 10_000 });
      const groups = (await client.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix));
      if (groups.length > 0) {
        try {
          await client.deleteGroups(groups);
        } catch (err) {
          throw new Error(`topics of ${prefix} deleted, but not every consumer group (${groups.join(", ")}): ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return topics;
    },
    async close() {
      const client = admin;
      admin = undefined;
      await client?.disconnect().catch(() => undefined);
    },
  };
}
