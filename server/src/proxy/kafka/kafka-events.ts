/**
 * `kafka.produced` and `kafka.fetched` payloads from decoded batches: a KafkaRecord per
 * record (at most MAX_RECORDS per event; `records_total` counts them all), with offsets
 * (base offset + delta: from the Produce response for produced records, from the batch
 * for fetched ones) and the value decoded by record-value.ts, up to MAX_DECODED_PER_EVENT
 * of JSON per event.
 */
import { create } from "@bufbuild/protobuf";
import { HeaderSchema, KafkaRecordSchema, type KafkaRecord } from "../../gen/rig/v1/event_pb.js";
import { decodeRecordBatches } from "./record-batch.js";
import { decodeValue, keyText, type AvroSchemaLookup } from "./record-value.js";
import type { PartitionRecords } from "./produce-fetch.js";

/** Records kept per event. */
export const MAX_RECORDS = 100;
/** Decoded values kept per event (bytes of JSON); later records are listed without. */
export const MAX_DECODED_PER_EVENT = 256 * 1024;

/** Kafka's error code names that a test is likely to meet. */
const ERROR_NAMES: Readonly<Record<number, string>> = {
  1: "OFFSET_OUT_OF_RANGE",
  2: "CORRUPT_MESSAGE",
  3: "UNKNOWN_TOPIC_OR_PARTITION",
  6: "NOT_LEADER_OR_FOLLOWER",
  7: "REQUEST_TIMED_OUT",
  10: "MESSAGE_TOO_LARGE",
  29: "TOPIC_AUTHORIZATION_FAILED",
  87: "INVALID_RECORD",
};

/** `UNKNOWN_TOPIC_OR_PARTITION (3)`. */
export function errorName(code: number): string {
  return `${ERROR_NAMES[code] ?? "KAFKA_ERROR"} (${code})`;
}

/** Records of some partitions as the log keeps them, with the total and the first problem. */
export interface CollectedRecords {
  readonly records: KafkaRecord[];
  readonly total: number;
  readonly problem: string;
}

/**
 * The records of `partitions`; `baseOffsetOf` gives a partition's base offset when the
 * batch's own is not the real one (a Produce request's batches start at 0).
 */
export function collectRecords(
  partitions: readonly PartitionRecords[],
  avro: AvroSchemaLookup | undefined,
  baseOffsetOf?: (p: PartitionRecords) => bigint | undefined,
): CollectedRecords {
  const records: KafkaRecord[] = [];
  let total = 0;
  let problem = "";
  let decodedBytes = 0;
  for (const p of partitions) {
    if (!p.records || p.records.length === 0) continue;
    const decoded = decodeRecordBatches(p.records);
    total += decoded.records.length + decoded.undecoded;
    if (decoded.problem && !problem) problem = `${p.topic}[${p.partition}]: ${decoded.problem}`;
    const base = baseOffsetOf ? baseOffsetOf(p) : undefined;
    for (const record of decoded.records) {
      if (records.length >= MAX_RECORDS) break;
      const offset = baseOffsetOf ? (base === undefined ? -1n : base + BigInt(record.offsetDelta)) : record.baseOffset + BigInt(record.offsetDelta);
      const value = decodedBytes < MAX_DECODED_PER_EVENT ? decodeValue(record.value, avro) : undefined;
      decodedBytes += value?.valueJson.length ?? 0;
      records.push(
        create(KafkaRecordSchema, {
          topic: p.topic,
          partition: p.partition,
          offset,
          ...(record.key ? { key: new Uint8Array(record.key) } : {}),
          keyText: keyText(record.key),
          valueSize: record.value ? BigInt(record.value.length) : -1n,
          ...value,
          headers: record.headers.map((h) => create(HeaderSchema, h)),
          timestampMs: record.timestampMs,
        }),
      );
    }
  }
  return { records, total, problem };
}
