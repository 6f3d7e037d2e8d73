/**
 * Protobuf JSON written directly, as UTF-8 into a JsonOut (`json-out.ts`): the same text
 * `toJsonString` gives (field order, names, zero values left out, int64 as strings, bytes
 * as base64, enums by name, Timestamp and Duration forms, the same errors for values that
 * cannot be encoded), for about a sixth of its cost. `toJsonString` builds a JSON object by reflection and then
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
import { JsonOut } from "./json-out.js";

/** Writes the JSON of one value (callers decide presence first). */
type ValueWriter = (value: unknown, out: JsonOut) => void;

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
  scratch.reset(64 * 1024);
  writeJson(schema, message, scratch, registry);
  return scratch.text();
}

/** Where toJsonText writes before making a string of it. */
const scratch = new JsonOut(4096);

/**
 * Writes the protobuf JSON of `message` (a message of `schema`) at `out.pos`. When it
 * throws (a value that cannot be encoded), `out` is back where it was.
 */
export function writeJson<Desc extends DescMessage>(schema: Desc, message: Message, out: JsonOut, registry?: Registry): void {
  const start = out.pos;
  const outer = registryInUse;
  registryInUse = registry;
  try {
    messageWriter(schema)(message, out);
  } catch (err) {
    out.pos = start;
    throw err;
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
    const delegate: ValueWriter = (value, out) =>
      out.utf8(JSON.stringify(toJson(desc, value as Message, registryInUse === undefined ? undefined : { registry: registryInUse })));
    compiled.set(desc, delegate);
    return delegate;
  }
  // Straight-line code per message type (presence test and write per field, in field
  // number order): a loop over one closure per field cost as much as toJsonString.
  let direct: ValueWriter | undefined;
  // Registered before its fields compile, so recursive types find it.
  compiled.set(desc, (value, out) => direct!(value, out));
  const writers: ValueWriter[] = [];
  const keys: (string | Buffer)[] = [];
  const lines = [...desc.fields].sort((a, b) => a.number - b.number).map((field) => fieldCode(field, writers, keys));
  const make = new Function(
    "w",
    "k",
    "typeName",
    "foreign",
    "hasOwn",
    "hasKeys",
    // Each key is written with its comma (`,"name":`); the first comma becomes the `{`.
    `return function write(m, o) {
      if (m.$typeName !== typeName) throw foreign(m);
      const start = o.pos;
      let v;
      ${lines.join("\n      ")}
      if (o.pos === start) { o.byte(123); o.byte(125); } else { o.buf[start] = 123; o.byte(125); }
    };`,
  ) as (
    w: ValueWriter[],
    k: (string | Buffer)[],
    typeName: string,
    foreign: (m: Message) => Error,
    hasOwn: (m: object, key: string) => boolean,
    hasKeys: (m: object) => boolean,
  ) => ValueWriter;
  direct = make(writers, keys, desc.typeName, (m) => foreign(desc, m), (m, key) => Object.prototype.hasOwnProperty.call(m, key), hasKeys);
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
  return (value, out) => {
    const message = value as SecondsAndNanos;
    if (message.$typeName !== desc.typeName) throw foreign(desc, message);
    out.byte(0x22);
    text(message, out);
    out.byte(0x22);
  };
}

function foreign(desc: DescMessage, message: { readonly $typeName?: unknown }): Error {
  return new Error(`cannot encode ${desc.typeName} to JSON: got a message ${String(message.$typeName)}`);
}

/**
 * The statement that writes one field of `m` into `o` when it is present (`,"key":value`);
 * value writers go to `writers` and are called as w[i], keys (`,"name":`) go to `keys` as
 * k[i]. A singular string field is written inline (the commonest field, on every event).
 * Names from a descriptor (a gRPC target's, read by reflection, is untrusted) reach the
 * code only as JSON.stringify literals.
 */
function fieldCode(field: DescField, writers: ValueWriter[], keys: (string | Buffer)[]): string {
  const keyText = `,${JSON.stringify(field.jsonName)}:`;
  // Proto names are ASCII (a custom json_name may not be): a short ASCII key is copied by
  // a loop, cheaper than Uint8Array#set at this size.
  const key = /^[\x20-\x7e]*$/.test(keyText)
    ? `o.ascii(k[${keys.push(keyText) - 1}])`
    : `o.bytes(k[${keys.push(Buffer.from(keyText, "utf8")) - 1}])`;
  const get = `m[${JSON.stringify(field.localName)}]`;
  const w = (writer: ValueWriter): string => `w[${writers.push(writer) - 1}]`;
  switch (field.fieldKind) {
    case "list":
      return `v = ${get}; if (v.length !== 0) { ${key}; ${w(listWriter(valueWriter(field, field.listKind)))}(v, o); }`;
    case "map":
      return `v = ${get}; if (hasKeys(v)) { ${key}; ${w(mapWriter(valueWriter(field, field.mapKind)))}(v, o); }`;
  }
  const write = w(valueWriter(field, field.fieldKind));
  if (field.oneof) {
    return `v = m[${JSON.stringify(field.oneof.localName)}]; if (v.case === ${JSON.stringify(field.localName)}) { ${key}; ${write}(v.value, o); }`;
  }
  const put = `{ ${key}; ${write}(v, o); }`;
  if (field.presence !== IMPLICIT) {
    return `v = ${get}; if (v !== undefined && hasOwn(m, ${JSON.stringify(field.localName)})) ${put}`;
  }
  if (field.fieldKind === "enum") return `v = ${get}; if (v !== ${field.enum.values[0]?.number ?? 0}) ${put}`;
  switch (field.scalar) {
    case ScalarType.BOOL:
      return `v = ${get}; if (v !== false) ${put}`;
    case ScalarType.STRING:
      // Not a string: the scalar writer throws what it throws for any field.
      return `v = ${get}; if (v !== "") { ${key}; if (typeof v === "string") o.string(v); else ${write}(v, o); }`;
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

/** Whether a map field has any entry (it is left out when empty). */
function hasKeys(record: object): boolean {
  for (const _ in record) return true;
  return false;
}

/** A non-empty list as a JSON array. */
function listWriter(item: ValueWriter): ValueWriter {
  return (value, out) => {
    const items = value as unknown[];
    out.byte(0x5b);
    for (let i = 0; i < items.length; i++) {
      if (i > 0) out.byte(0x2c);
      item(items[i], out);
    }
    out.byte(0x5d);
  };
}

/** A non-empty map as a JSON object. */
function mapWriter(entry: ValueWriter): ValueWriter {
  return (value, out) => {
    const record = value as Record<string, unknown>;
    // Object.keys orders integer-like keys first, as JSON.stringify of the object does.
    const keys = Object.keys(record);
    out.byte(0x7b);
    for (let i = 0; i < keys.length; i++) {
      if (i > 0) out.byte(0x2c);
      out.string(keys[i]!);
      out.byte(0x3a);
      entry(record[keys[i]!], out);
    }
    out.byte(0x7d);
  };
}

function enumWriter(desc: DescEnum, field: DescField): ValueWriter {
  const names = new Map(desc.values.map((v) => [v.number, Buffer.from(JSON.stringify(v.jsonName), "utf8")]));
  const nullValue = desc.typeName === "google.protobuf.NullValue";
  return (value, out) => {
    if (typeof value !== "number") throw new Error(`cannot encode ${fieldName(field)} to JSON: expected a ${desc.typeName} number, got ${typeof value}`);
    if (nullValue) return out.ascii("null");
    const name = names.get(value);
    // An unknown value is written as its number, as protobuf-es does.
    if (name === undefined) out.ascii(String(value));
    else out.bytes(name);
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
      return (value, out) => {
        if (typeof value !== "number") throw wrong(value);
        out.ascii(JSON.stringify(value));
      };
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return (value, out) => {
        if (typeof value !== "number") throw wrong(value);
        if (Number.isNaN(value)) return out.ascii('"NaN"');
        if (value === Number.POSITIVE_INFINITY) return out.ascii('"Infinity"');
        if (value === Number.NEGATIVE_INFINITY) return out.ascii('"-Infinity"');
        out.ascii(JSON.stringify(value));
      };
    case ScalarType.STRING:
      return (value, out) => {
        if (typeof value !== "string") throw wrong(value);
        out.string(value);
      };
    case ScalarType.BOOL:
      return (value, out) => {
        if (typeof value !== "boolean") throw wrong(value);
        out.ascii(value ? "true" : "false");
      };
    case ScalarType.BYTES:
      return (value, out) => {
        if (!(value instanceof Uint8Array)) throw wrong(value);
        out.byte(0x22);
        out.ascii(Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64"));
        out.byte(0x22);
      };
    default:
      // 64-bit integers: decimal strings (a string value, which protobuf-es takes for one,
      // is written as a JSON string).
      return (value, out) => {
        if (typeof value === "bigint" || (typeof value === "number" && Number.isInteger(value))) {
          out.byte(0x22);
          out.ascii(value.toString());
          out.byte(0x22);
          return;
        }
        if (typeof value === "string") return out.string(value);
        throw wrong(value);
      };
  }
}

function fieldName(field: DescField): string {
  return `field ${field.parent.typeName}.${field.name}`;
}

/** Timestamps of one second share their text up to the fraction: events come many per second. */
let lastSecond: bigint | undefined;
let lastSecondText = "";

function timestampText(value: SecondsAndNanos, out: JsonOut): void {
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
  out.ascii(lastSecondText);
  fraction(value.nanos, out);
  out.byte(0x5a); // Z
}

function durationText(value: SecondsAndNanos, out: JsonOut): void {
  const seconds = Number(value.seconds);
  if (seconds > 315576000000 || seconds < -315576000000) {
    throw new Error(`cannot encode message ${value.$typeName} to JSON: value out of range`);
  }
  const nanos = value.nanos;
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    throw new Error(`cannot encode message ${value.$typeName} to JSON: nanos sign must match seconds sign`);
  }
  if (nanos < 0 && seconds === 0) out.byte(0x2d); // -
  out.ascii(seconds === 0 ? "0" : value.seconds.toString());
  fraction(Math.abs(nanos), out);
  out.byte(0x73); // s
}

/**
 * ".123", ".123456" or ".123456789": the shortest of the three that loses nothing;
 * nothing for 0. Written digit by digit (no string per timestamp).
 */
function fraction(nanos: number, out: JsonOut): void {
  if (nanos === 0) return;
  const digits = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  out.reserve(1 + digits);
  const buf = out.buf;
  let p = out.pos;
  buf[p++] = 0x2e; // .
  let divisor = 100_000_000;
  for (let i = 0; i < digits; i++) {
    buf[p++] = 0x30 + (Math.floor(nanos / divisor) % 10);
    divisor /= 10;
  }
  out.pos = p;
}
