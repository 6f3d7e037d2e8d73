/**
 * A record's value as the log shows it: JSON text when the value is JSON, Avro decoded
 * to JSON when it is in the Confluent wire format (magic 0, a 4-byte schema id, Avro
 * binary) and the id is in rig's registry, nothing otherwise. Values over 64 KiB are
 * not decoded.
 */

/** Decodes Avro binary with a registered schema; undefined when the id is unknown. */
export type AvroSchemaLookup = (id: number) => { fromBuffer(bytes: Buffer): unknown } | undefined;

/** What the log gets of a value. */
export interface DecodedValue {
  readonly valueJson: string;
  readonly valueFormat: "" | "json" | "avro";
  readonly schemaId: number;
}

const MAX_DECODED = 64 * 1024;
const NOT_DECODED: DecodedValue = { valueJson: "", valueFormat: "", schemaId: 0 };

/** JSON.stringify that writes Avro bytes/fixed as text (UTF-8 when valid, else base64) and longs exactly. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return v.toString();
    if (v && typeof v === "object" && (v as { type?: unknown }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data)) {
      return textOrBase64(Buffer.from((v as { data: number[] }).data));
    }
    return v;
  });
}

/** UTF-8 text when the bytes are valid UTF-8, else base64. */
export function textOrBase64(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  return Buffer.byteLength(text) === bytes.length && !text.includes("\uFFFD") ? text : bytes.toString("base64");
}

/** The key as text, when it is valid UTF-8; "" otherwise. */
export function keyText(key: Buffer | null): string {
  if (!key) return "";
  const text = key.toString("utf8");
  return text.includes("\uFFFD") ? "" : text;
}

/** Decodes a value for the log. */
export function decodeValue(value: Buffer | null, avro: AvroSchemaLookup | undefined): DecodedValue {
  if (!value || value.length === 0 || value.length > MAX_DECODED) return NOT_DECODED;
  if (value[0] === 0 && value.length >= 5 && avro) {
    const schemaId = value.readInt32BE(1);
    const type = avro(schemaId);
    if (type) {
      try {
        return { valueJson: toJson(type.fromBuffer(value.subarray(5))), valueFormat: "avro", schemaId };
      } catch {
        return { ...NOT_DECODED, schemaId };
      }
    }
  }
  const first = value.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  // Objects, arrays and strings only: a bare number or word is as likely plain text.
  if (first === 0x7b || first === 0x5b || first === 0x22) {
    try {
      return { valueJson: JSON.stringify(JSON.parse(value.toString("utf8"))), valueFormat: "json", schemaId: 0 };
    } catch {
      // not JSON after all
    }
  }
  return NOT_DECODED;
}
