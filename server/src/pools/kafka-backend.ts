/**
 * The Kafka pools: one broker per key, one topic prefix per lease.
 *
 * The shared pool runs one broker per rigd (key `shared`); each lease gets a prefix
 * (`rig-<8 hex>.`) for its topics and consumer groups, and its release deletes every
 * topic and group under that prefix, whoever created them (auto-created topics too).
 * The dedicated pool runs a broker per lease (key = environment and service) with no
 * prefix, stopped as soon as the lease is released (idle time 0).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { KafkaBroker } from "./kafka-broker.js";
import { Pool, type Backend, type Lease } from "./pool.js";

/** What a lease asks for. */
export interface KafkaLeaseRequest {
  readonly service: string;
}

/** What a lease got. */
export interface KafkaLeaseData {
  /** Prepended to the environment's topics and groups; "" on a dedicated broker. */
  readonly prefix: string;
}

/** A lease of a Kafka pool. */
export type KafkaLease = Lease<KafkaBroker, KafkaLeaseData>;

/** A Kafka pool. */
export type KafkaPool = Pool<KafkaBroker, KafkaLeaseRequest, KafkaLeaseData>;

/** Options of a Kafka pool. */
export interface KafkaPoolOptions {
  /** Starts a broker (the host process of kafka-broker.ts, in rigd). */
  readonly startBroker: (signal: AbortSignal) => Promise<KafkaBroker>;
  /** True: a broker per lease, no prefix. */
  readonly dedicated: boolean;
  /** How long a broker with no leases lives on. Default: 2 minutes shared, 0 dedicated. */
  readonly idleMs?: number;
  readonly log?: Logger;
}

/** The pool key of the shared broker. */
export const SHARED_KAFKA_KEY = "shared";

class KafkaBackend implements Backend<KafkaBroker, KafkaLeaseRequest, KafkaLeaseData> {
  private broker: KafkaBroker | undefined;

  constructor(private readonly options: KafkaPoolOptions) {}

  async start(signal: AbortSignal): Promise<KafkaBroker> {
    this.broker = await this.options.startBroker(signal);
    return this.broker;
  }

  async stop(): Promise<void> {
    const broker = this.broker;
    this.broker = undefined;
    await broker?.stop();
  }

  died(broker: KafkaBroker): Promise<string> {
    return broker.exited;
  }

  async newLease(): Promise<KafkaLeaseData> {
    return { prefix: this.options.dedicated ? "" : `rig-${randomBytes(4).toString("hex")}.` };
  }

  async dropLease(broker: KafkaBroker, lease: KafkaLeaseData): Promise<void> {
    if (!lease.prefix) return; // a dedicated broker goes away with its lease
    const deleted = await broker.admin.deletePrefixed(lease.prefix);
    this.options.log?.debug({ prefix: lease.prefix, topics: deleted }, "kafka topics of a lease deleted");
  }
}

/** A Kafka pool (shared: one broker, a prefix per lease; dedicated: a broker per lease). */
export function createKafkaPool(options: KafkaPoolOptions): KafkaPool {
  return new Pool({
    name: options.dedicated ? "kafka-dedicated" : "kafka",
    create: () => new KafkaBackend(options),
    idleMs: options.idleMs ?? (options.dedicated ? 0 : 120_000),
    ...(options.log ? { log: options.log } : {}),
  });
}
