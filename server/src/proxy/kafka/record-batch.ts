/**
 * Record batches, magic v2 (KIP-98; the only format Kafka 4 speaks): the batch header,
 * then records of zigzag varints with their headers. Compression (attributes bits 0-2):
 * none, gzip and zstd are decoded (node:zlib); snappy and lz4 batches are counted but
 * their records are not decoded (reported as a problem). Control batches (transaction
 * markers) are skipped. A Fetch response may end in a partial batch: it is ignored, as
 * clients do.
 */
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { WireError, WireReader } from "./wire-reader.js";

/** One record of a batch. */
export interface KafkaWireRecord {
  /** The batch's base offset plus the record's delta (on a Produce request: the delta alone). */
  readonly offsetDelta: number;
  readonly baseOffset: bigint;
  readonly timestampMs: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
}

/** The records of a `records` field, and what could not be decoded. */
export interface DecodedRecords {
  readonly records: KafkaWireRecord[];
  /** Records not decoded (compressed with an unsupported codec); their count still counts. */
  readonly undecoded: number;
  readonly problem?: string;
}

const CODECS = ["none", "gzip", "snappy", "lz4", "zstd"];
/** Bytes of a v2 batch header after baseOffset and batchLength. */
const BATCH_HEADER_AFTER_LENGTH = 49;

/** Decodes every whole batch of a `records` field. */
export function decodeRecordBatches(records: Buffer): DecodedRecords {
  const out: KafkaWireRecord[] = [];
  let undecoded = 0;
  let problem: string | undefined;
  let at = 0;
  while (records.length - at >= 12) {
    const baseOffset = records.readBigInt64BE(at);
    const batchLength = records.readInt32BE(at + 8);
    const end = at + 12 + batchLength;
    if (batchLength < BATCH_HEADER_AFTER_LENGTH || end > records.length) break; // partial batch at the end of a fetch
    const r = new WireReader(records, at + 12, end);
    r.int32(); // partitionLeaderEpoch
    const magic = r.int8();
    if (magic !== 2) {
      problem ??= `record batch magic ${magic}: only v2 batches are decoded`;
      at = end;
      continue;
    }
    r.skip(4); // crc
    const attributes = r.int16();
    r.int32(); // lastOffsetDelta
    const baseTimestamp = r.int64();
    r.int64(); // maxTimestamp
    r.skip(8 + 2 + 4); // producerId, producerEpoch, baseSequence
    const count = r.int32();
    at = end;
    if (attributes & 0x20) continue; // control batch: transaction markers, not data
    const codec = attributes & 0x07;
    let body: Buffer;
    try {
      body = inflate(codec, records.subarray(r.offset, end));
    } catch (err) {
      undecoded += count;
      problem ??= err instanceof Error ? err.message : String(err);
      continue;
    }
    const br = new WireReader(body);
    try {
      for (let i = 0; i < count; i++) out.push(readRecord(br, baseOffset, baseTimestamp));
    } catch (err) {
      problem ??= `a record of the batch at offset ${baseOffset}: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return { records: out, undecoded, ...(problem ? { problem } : {}) };
}

function inflate(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case 0:
      return data;
    case 1:
      return gunzipSync(data);
    case 4:
      return zstdDecompressSync(data);
    default:
      throw new WireError(`${CODECS[codec] ?? `codec ${codec}`}-compressed batch: records not decoded (rig decodes none, gzip and zstd)`);
  }
}

function readRecord(r: WireReader, baseOffset: bigint, baseTimestamp: bigint): KafkaWireRecord {
  const length = r.varint();
  const end = r.offset + length;
  r.int8(); // attributes (unused)
  const timestampDelta = r.varlong();
  const offsetDelta = r.varint();
  const keyLength = r.varint();
  const key = keyLength < 0 ? null : r.raw(keyLength);
  const valueLength = r.varint();
  const value = valueLength < 0 ? null : r.raw(valueLength);
  const headerCount = r.varint();
  const headers: { name: string; value: string }[] = [];
  for (let i = 0; i < headerCount; i++) {
    const nameLength = r.varint();
    const name = r.raw(nameLength).toString("utf8");
    const valueLen = r.varint();
    const headerValue = valueLen < 0 ? "" : r.raw(valueLen).toString("utf8");
    headers.push({ name, value: headerValue });
  }
  if (r.offset !== end) throw new WireError(`record length ${length} does not match its fields`);
  return { offsetDelta, baseOffset, timestampMs: baseTimestamp + timestampDelta, key, value, headers };
}
