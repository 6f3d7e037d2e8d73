/**
 * Protobuf JSON as a string, written directly: the same text `toJsonString` gives (field
 * order, names, zero values left out, int64 as strings, bytes as base64, enums by name,
 * Timestamp and Duration forms, the same errors for values that cannot be encoded), for
 * about a sixth of its cost. `toJsonString` builds a JSON object by reflection and then
 * stringifies it: ~8 µs for a request.completed event, on the path of every proxied
 * request (events.jsonl gets one line per event).
 *
 * Writers are compiled once per message type from its descriptor. What this file does
 * not write itself (well-known types but Timestamp and Duration, messages with wrapper or
 * Struct fields, proto2 required fields) is handed to protobuf-es for that message alone,
 * so the output stays exact for every type, with the registry given (an Any fails without
 * one, as in protobuf-es).
 * `json-writer.spec.ts` compares both on every event type with every field set.
 */
import { type DescEnum, type DescField, type DescMessage, type Message, type Registry, ScalarType, toJson } from "@bufbuild/protobuf";

/** The JSON text of one value (never undefined: callers decide presence first). */
type ValueWriter = (value: unknown) => string;

const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;
const compiled = new WeakMap<DescMessage, ValueWriter>();

/** The registry of the toJsonText call in progress, for the types handed to protobuf-es (an Any's contents). */
let registryInUse: Registry | undefined;

/**
 * The protobuf JSON of `message` (a message of `schema`), as `toJsonString` writes it
 * (with `{ registry }` when one is given: how an Any's contents are found). Schemas may
 * come from generated code or from descriptors read at run time (a gRPC target's, by
 * reflection): writers are compiled and cached per descriptor object either way.
 */
export function toJsonText<Desc extends DescMessage>(schema: Desc, message: Message, registry?: Registry): string {
  if (registry === undefined) return messageWriter(schema)(message);
  const outer = registryInUse;
  registryInUse = registry;
  try {
    return messageWriter(schema)(message);
  } finally {
    registryInUse = outer;
  }
}

function messageWriter(desc: DescMessage): ValueWriter {
  let writer = compiled.get(desc);
  if (writer === undefined) {
    writer = compileMessage(desc);
  }
  return writer;
}

function compileMessage(desc: DescMessage): ValueWriter {
  const special = wellKnown(desc);
  if (special) {
    compiled.set(desc, special);
    return special;
  }
  // Other well-known types have JSON forms of their own (Any, FieldMask, Struct, ...).
  if (desc.typeName.startsWith("google.protobuf.") || !ownWritable(desc)) {
    const delegate: ValueWriter = (value) =>
      JSON.stringify(toJson(desc, value as Message, registryInUse === undefined ? undefined : { registry: registryInUse }));
    compiled.set(desc, delegate);
    return delegate;
  }
  // Straight-line code per message type (presence test and write per field, in field
  // number order): a loop over one closure per field cost as much as toJsonString.
  let direct: ValueWriter | undefined;
  // Registered before its fields compile, so recursive types find it.
  compiled.set(desc, (value) => direct!(value));
  const writers: ValueWriter[] = [];
  const lines = [...desc.fields].sort((a, b) => a.number - b.number).map((field) => fieldCode(field, writers));
  const make = new Function(
    "w",
    "typeName",
    "foreign",
    "hasOwn",
    `return function write(m) {
      if (m.$typeName !== typeName) throw foreign(m);
      let o = "", v;
      ${lines.join("\n      ")}
      return o === "" ? "{}" : "{" + o.slice(1) + "}";
    };`,
  ) as (w: ValueWriter[], typeName: string, foreign: (m: Message) => Error, hasOwn: (m: object, key: string) => boolean) => ValueWriter;
  direct = make(writers, desc.typeName, (m) => foreign(desc, m), (m, key) => Object.prototype.hasOwnProperty.call(m, key));
  compiled.set(desc, direct);
  return direct;
}

/**
 * Whether this file writes the message's own fields (not its nested messages). A proto2
 * message that can be extended is left to protobuf-es, which knows extensions from the
 * registry.
 */
function ownWritable(desc: DescMessage): boolean {
  if (desc.proto.extensionRange.length > 0) return false;
  return desc.fields.every(
    (f) => f.presence !== LEGACY_REQUIRED && !(f.fieldKind === "message" && isUnboxed(f.message)) &&
      !(f.fieldKind === "list" && f.listKind === "message" && isUnboxed(f.message)) &&
      !(f.fieldKind === "map" && f.mapKind === "message" && isUnboxed(f.message)),
  );
}

/**
 * Types protobuf-es v2 holds unboxed in fields (wrappers as primitives, Struct, Value and
 * ListValue as plain JSON): a message with such a field is handed to protobuf-es.
 */
function isUnboxed(desc: DescMessage): boolean {
  return desc.typeName.startsWith("google.protobuf.") && (desc.typeName.endsWith("Value") || desc.typeName === "google.protobuf.Struct");
}

interface SecondsAndNanos {
  readonly $typeName: string;
  readonly seconds: bigint;
  readonly nanos: number;
}

function wellKnown(desc: DescMessage): ValueWriter | undefined {
  const text =
    desc.typeName === "google.protobuf.Timestamp" ? timestampText : desc.typeName === "google.protobuf.Duration" ? durationText : undefined;
  if (!text) return undefined;
  return (value) => {
    const message = value as SecondsAndNanos;
    if (message.$typeName !== desc.typeName) throw foreign(desc, message);
    return `"${text(message)}"`;
  };
}

function foreign(desc: DescMessage, message: { readonly $typeName?: unknown }): Error {
  return new Error(`cannot encode ${desc.typeName} to JSON: got a message ${String(message.$typeName)}`);
}

/**
 * The statement that writes one field of `m` into `o` when it is present (`,"key":value`);
 * value writers go to `writers` and are called as w[i].
 */
function fieldCode(field: DescField, writers: ValueWriter[]): string {
  const key = JSON.stringify(`,${JSON.stringify(field.jsonName)}:`);
  const get = `m[${JSON.stringify(field.localName)}]`;
  const w = (writer: ValueWriter): string => `w[${writers.push(writer) - 1}]`;
  switch (field.fieldKind) {
    case "list":
      return `v = ${w(listWriter(valueWriter(field, field.listKind)))}(${get}); if (v !== "") o += ${key} + v;`;
    case "map":
      return `v = ${w(mapWriter(valueWriter(field, field.mapKind)))}(${get}); if (v !== "") o += ${key} + v;`;
  }
  const write = w(valueWriter(field, field.fieldKind));
  if (field.oneof) {
    return `v = m[${JSON.stringify(field.oneof.localName)}]; if (v.case === ${JSON.stringify(field.localName)}) o += ${key} + ${write}(v.value);`;
  }
  const put = `o += ${key} + ${write}(v);`;
  if (field.presence !== IMPLICIT) {
    return `v = ${get}; if (v !== undefined && hasOwn(m, ${JSON.stringify(field.localName)})) ${put}`;
  }
  if (field.fieldKind === "enum") return `v = ${get}; if (v !== ${field.enum.values[0]?.number ?? 0}) ${put}`;
  switch (field.scalar) {
    case ScalarType.BOOL:
      return `v = ${get}; if (v !== false) ${put}`;
    case ScalarType.STRING:
      return `v = ${get}; if (v !== "") ${put}`;
    case ScalarType.BYTES:
      return `v = ${get}; if (!(v instanceof Uint8Array) || v.byteLength > 0) ${put}`;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return `v = ${get}; if (!Object.is(v, 0)) ${put}`;
    default:
      // Loose on purpose: 0, 0n and "0" are all the zero of an integer field.
      return `v = ${get}; if (v != 0) ${put}`;
  }
}

function valueWriter(field: DescField, kind: "scalar" | "enum" | "message"): ValueWriter {
  if (kind === "message") return messageWriter(field.message!);
  if (kind === "enum") return enumWriter(field.enum!, field);
  return scalarWriter(field, field.scalar!);
}

/** A list as a JSON array; "" when empty (the field is left out). */
function listWriter(item: ValueWriter): ValueWriter {
  return (value) => {
    const items = value as unknown[];
    if (items.length === 0) return "";
    let out = item(items[0]);
    for (let i = 1; i < items.length; i++) out += `,${item(items[i])}`;
    return `[${out}]`;
  };
}

/** A map as a JSON object; "" when empty. */
function mapWriter(entry: ValueWriter): ValueWriter {
  return (value) => {
    const record = value as Record<string, unknown>;
    // Object.keys orders integer-like keys first, as JSON.stringify of the object does.
    const keys = Object.keys(record);
    if (keys.length === 0) return "";
    let out = "";
    for (let i = 0; i < keys.length; i++) out += `,${jsonString(keys[i]!)}:${entry(record[keys[i]!])}`;
    return `{${out.slice(1)}}`;
  };
}

function enumWriter(desc: DescEnum, field: DescField): ValueWriter {
  const names = new Map(desc.values.map((v) => [v.number, JSON.stringify(v.jsonName)]));
  const nullValue = desc.typeName === "google.protobuf.NullValue";
  return (value) => {
    if (typeof value !== "number") throw new Error(`cannot encode ${fieldName(field)} to JSON: expected a ${desc.typeName} number, got ${typeof value}`);
    if (nullValue) return "null";
    // An unknown value is written as its number, as protobuf-es does.
    return names.get(value) ?? String(value);
  };
}

function scalarWriter(field: DescField, scalar: ScalarType): ValueWriter {
  const wrong = (value: unknown): Error => new Error(`cannot encode ${fieldName(field)} to JSON: expected ${ScalarType[scalar]?.toLowerCase()}, got ${typeof value}`);
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT32:
      return (value) => {
        if (typeof value !== "number") throw wrong(value);
        return JSON.stringify(value);
      };
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return (value) => {
        if (typeof value !== "number") throw wrong(value);
        if (Number.isNaN(value)) return '"NaN"';
        if (value === Number.POSITIVE_INFINITY) return '"Infinity"';
        if (value === Number.NEGATIVE_INFINITY) return '"-Infinity"';
        return JSON.stringify(value);
      };
    case ScalarType.STRING:
      return (value) => {
        if (typeof value !== "string") throw wrong(value);
        return jsonString(value);
      };
    case ScalarType.BOOL:
      return (value) => {
        if (typeof value !== "boolean") throw wrong(value);
        return value ? "true" : "false";
      };
    case ScalarType.BYTES:
      return (value) => {
        if (!(value instanceof Uint8Array)) throw wrong(value);
        return `"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64")}"`;
      };
    default:
      // 64-bit integers: decimal strings.
      return (value) => {
        if (typeof value === "bigint" || typeof value === "string" || (typeof value === "number" && Number.isInteger(value))) {
          return `"${value.toString()}"`;
        }
        throw wrong(value);
      };
  }
}

function fieldName(field: DescField): string {
  return `field ${field.parent.typeName}.${field.name}`;
}

/** Characters JSON.stringify escapes (lone surrogates among them): most strings have none. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** A JSON string literal: JSON.stringify only when something needs escaping (a third of its cost). */
function jsonString(value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
}

/** Timestamps of one second share their text up to the fraction: events come many per second. */
let lastSecond: bigint | undefined;
let lastSecondText = "";

function timestampText(value: SecondsAndNanos): string {
  const ms = Number(value.seconds) * 1000;
  // 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z, as protobuf-es checks.
  if (ms < -62135596800000 || ms > 253402300799000) {
    throw new Error(`cannot encode message ${value.$typeName} to JSON: must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z inclusive`);
  }
  if (value.nanos < 0) throw new Error(`cannot encode message ${value.$typeName} to JSON: nanos must not be negative`);
  if (value.nanos > 999999999) throw new Error(`cannot encode message ${value.$typeName} to JSON: nanos must not be greater than 999999999`);
  if (value.seconds !== lastSecond) {
    lastSecond = value.seconds;
    lastSecondText = new Date(ms).toISOString().slice(0, -5); // without ".000Z"
  }
  return `${lastSecondText}${fraction(value.nanos)}Z`;
}

function durationText(value: SecondsAndNanos): string {
  const seconds = Number(value.seconds);
  if (seconds > 315576000000 || seconds < -315576000000) {
    throw new Error(`cannot encode message ${value.$typeName} to JSON: value out of range`);
  }
  const nanos = value.nanos;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    throw new Error(`cannot encode message ${value.$typeName} to JSON: nanos sign must match seconds sign`);
  }
  const sign = nanos < 0 && seconds === 0 ? "-" : "";
  return `${sign}${value.seconds.toString()}${fraction(Math.abs(nanos))}s`;
}

/** ".123", ".123456" or ".123456789": the shortest of the three that loses nothing; "" for 0. */
function fraction(nanos: number): string {
  if (nanos === 0) return "";
  const digits = String(nanos + 1_000_000_000).slice(1);
  if (digits.endsWith("000000")) return `.${digits.slice(0, 3)}`;
  if (digits.endsWith("000")) return `.${digits.slice(0, 6)}`;
  return `.${digits}`;
}
