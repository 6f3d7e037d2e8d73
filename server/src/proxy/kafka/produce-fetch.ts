/**
 * The data APIs as the proxy records them: the record batches of a Produce request
 * (per topic and partition), the base offsets and errors of its response, and the
 * record batches of a Fetch response. Versions: Produce v3-v12, Fetch v4-v12 (Kafka 4
 * brokers accept nothing older; newer ones are capped away by ApiVersions).
 */
import { API, isFlexible, responseBody, type RequestHeader } from "./kafka-apis.js";
import type { WireReader } from "./wire-reader.js";

/** The records field of one partition. */
export interface PartitionRecords {
  readonly topic: string;
  readonly partition: number;
  readonly records: Buffer | null;
}

/** A Produce request's acks and per-partition batches. */
export interface ProduceRequest {
  readonly acks: number;
  readonly partitions: PartitionRecords[];
}

/** One partition's answer to a Produce request. */
export interface ProduceAnswer {
  readonly errorCode: number;
  readonly baseOffset: bigint;
}

/** One partition of a Fetch response. */
export interface FetchedPartition extends PartitionRecords {
  readonly errorCode: number;
}

/** The key of a topic partition in maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Reads a Produce request body (after the header). */
export function readProduceRequest(r: WireReader, version: number): ProduceRequest {
  const flex = isFlexible(API.produce, version);
  r.string(flex); // transactional_id
  const acks = r.int16();
  r.int32(); // timeout_ms
  const partitions: PartitionRecords[] = [];
  const topics = r.arrayLength(flex);
  for (let t = 0; t < topics; t++) {
    const topic = r.string(flex) ?? "";
    const count = r.arrayLength(flex);
    for (let p = 0; p < count; p++) {
      const partition = r.int32();
      partitions.push({ topic, partition, records: r.bytes(flex) });
      r.taggedFields(flex);
    }
    r.taggedFields(flex);
  }
  return { acks, partitions };
}

/** Reads a Produce response: base offset and error per topic partition. */
export function readProduceResponse(frame: Buffer, request: RequestHeader): Map<string, ProduceAnswer> {
  const v = request.apiVersion;
  const flex = isFlexible(API.produce, v);
  const r = responseBody(frame, request);
  const answers = new Map<string, ProduceAnswer>();
  const topics = r.arrayLength(flex);
  for (let t = 0; t < topics; t++) {
    const topic = r.string(flex) ?? "";
    const count = r.arrayLength(flex);
    for (let p = 0; p < count; p++) {
      const partition = r.int32();
      const errorCode = r.int16();
      const baseOffset = r.int64();
      answers.set(partitionKey(topic, partition), { errorCode, baseOffset });
      r.int64(); // log_append_time_ms
      if (v >= 5) r.int64(); // log_start_offset
      if (v >= 8) {
        const errors = r.arrayLength(flex);
        for (let e = 0; e < errors; e++) {
          r.int32();
          r.string(flex);
          r.taggedFields(flex);
        }
        r.string(flex); // error_message
      }
      r.taggedFields(flex);
    }
    r.taggedFields(flex);
  }
  return answers;
}

/** Reads a Fetch response's partitions with their records. */
export function readFetchResponse(frame: Buffer, request: RequestHeader): FetchedPartition[] {
  const v = request.apiVersion;
  const flex = isFlexible(API.fetch, v);
  const r = responseBody(frame, request);
  r.int32(); // throttle_time_ms
  if (v >= 7) {
    r.int16(); // error_code
    r.int32(); // session_id
  }
  const out: FetchedPartition[] = [];
  const topics = r.arrayLength(flex);
  for (let t = 0; t < topics; t++) {
    const topic = r.string(flex) ?? "";
    const count = r.arrayLength(flex);
    for (let p = 0; p < count; p++) {
      const partition = r.int32();
      const errorCode = r.int16();
      r.int64(); // high_watermark
      r.int64(); // last_stable_offset
      if (v >= 5) r.int64(); // log_start_offset
      const aborted = r.arrayLength(flex);
      for (let a = 0; a < aborted; a++) {
        r.int64();
        r.int64();
        r.taggedFields(flex);
      }
      if (v >= 11) r.int32(); // preferred_read_replica
      out.push({ topic, partition, errorCode, records: r.bytes(flex) });
      r.taggedFields(flex);
    }
    r.taggedFields(flex);
  }
  return out;
}
