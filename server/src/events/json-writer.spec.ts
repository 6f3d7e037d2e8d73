import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  create,
  createFileRegistry,
  createRegistry,
  type DescField,
  type DescFile,
  type DescMessage,
  fromBinary,
  type Message,
  toBinary,
  toJsonString,
} from "@bufbuild/protobuf";
import { fromJson, ScalarType } from "@bufbuild/protobuf";
import {
  anyPack,
  AnySchema,
  FieldMaskSchema,
  type FileDescriptorProto,
  FileDescriptorSetSchema,
  Int64ValueSchema,
  StructSchema,
} from "@bufbuild/protobuf/wkt";
import { EventSchema } from "../gen/rig/v1/event_pb.js";
import { EnvironmentSpecSchema } from "../gen/rig/v1/spec_pb.js";
import { toJsonText } from "./json-writer.js";

/**
 * Messages of `desc` with every field set (variant picks values), nested to `depth`.
 * Strings carry what JSON must escape; maps have an integer-like key (ordered first).
 */
function filled(desc: DescMessage, variant: number, depth = 3): Message {
  const init: Record<string, unknown> = {};
  if (desc.typeName === "google.protobuf.Timestamp") {
    return create(desc, { seconds: BigInt(1_700_000_000 + variant), nanos: [0, 5_000_000, 123_456_000, 7][variant % 4] });
  }
  if (desc.typeName === "google.protobuf.Duration") {
    return create(desc, { seconds: BigInt([0, 3, -2, 0][variant % 4]!), nanos: [-500, 1_000, -100_000_000, 250_000_000][variant % 4] });
  }
  const oneofsDone = new Set<string>();
  for (const field of desc.fields) {
    if (field.oneof) {
      // One member per oneof, a different one per variant.
      if (oneofsDone.has(field.oneof.localName)) continue;
      const member = field.oneof.fields[variant % field.oneof.fields.length]!;
      oneofsDone.add(field.oneof.localName);
      const value = valueFor(member, variant, depth);
      if (value !== undefined) init[field.oneof.localName] = { case: member.localName, value };
      continue;
    }
    const value = valueFor(field, variant, depth);
    if (value !== undefined) init[field.localName] = value;
  }
  return create(desc, init);
}

function valueFor(field: DescField, variant: number, depth: number): unknown {
  const one = (kind: "scalar" | "enum" | "message", offset: number): unknown => {
    if (kind === "message") {
      // protobuf-es holds Struct fields as plain JSON objects.
      if (field.message!.typeName === "google.protobuf.Struct") return { b: [true, null, "x\n"], "1": { n: 2.5 + variant } };
      return depth > 0 ? filled(field.message!, variant + offset, depth - 1) : undefined;
    }
    if (kind === "enum") return field.enum!.values[(variant + offset + 1) % field.enum!.values.length]!.number;
    return scalar(field.scalar!, variant + offset);
  };
  switch (field.fieldKind) {
    case "list":
      return [one(field.listKind, 0), one(field.listKind, 1)].filter((v) => v !== undefined);
    case "map": {
      const value = one(field.mapKind, 0);
      return value === undefined ? {} : { zeta: value, "7": one(field.mapKind, 1), alpha: value };
    }
    default:
      return one(field.fieldKind, 0);
  }
}

function scalar(type: ScalarType, variant: number): unknown {
  switch (type) {
    case ScalarType.STRING:
      return ['quote " backslash \\ tab \t', "line\nbreak \u2028 é 🚀", "", "plain"][variant % 4];
    case ScalarType.BOOL:
      return variant % 2 === 0;
    case ScalarType.BYTES:
      return new Uint8Array([0, 255, 62, 63, variant % 256]).subarray(variant % 3);
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return [1.5, -0.25, Number.NaN, Number.POSITIVE_INFINITY, 0][variant % 5];
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return [-9_007_199_254_740_993n, 42n, 0n][variant % 3];
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return [18_446_744_073_709_551_615n, 7n, 0n][variant % 3];
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return [4_294_967_295, 3, 0][variant % 3];
    default:
      return [-2_147_483_648, 17, 0][variant % 3];
  }
}

describe("toJsonText", () => {
  const payloads = EventSchema.oneofs.find((o) => o.localName === "payload")!.fields;

  it("writes what toJsonString writes, for every event payload with every field set", () => {
    let compared = 0;
    for (let variant = 0; variant < payloads.length * 4; variant++) {
      const event = filled(EventSchema, variant);
      assert.equal(toJsonText(EventSchema, event), toJsonString(EventSchema, event as never), `variant ${variant}`);
      compared++;
    }
    assert.ok(compared >= payloads.length, "every payload case was compared");
  });

  it("leaves out zero values as toJsonString does", () => {
    for (const member of payloads) {
      const event = create(EventSchema, { payload: { case: member.localName, value: create(member.message!) } as never });
      assert.equal(toJsonText(EventSchema, event), toJsonString(EventSchema, event), member.localName);
    }
    assert.equal(toJsonText(EventSchema, create(EventSchema)), "{}");
  });

  it("writes specs too (Struct and nested maps are handed to protobuf-es alone)", () => {
    for (let variant = 0; variant < 8; variant++) {
      const spec = filled(EnvironmentSpecSchema, variant);
      assert.equal(toJsonText(EnvironmentSpecSchema, spec), toJsonString(EnvironmentSpecSchema, spec as never), `variant ${variant}`);
    }
  });

  it("hands other well-known types to protobuf-es: FieldMask, Struct, wrappers, an Any without a registry fails alike", () => {
    const mask = create(FieldMaskSchema, { paths: ["a.b_c", "d"] });
    assert.equal(toJsonText(FieldMaskSchema, mask), toJsonString(FieldMaskSchema, mask));
    const struct = fromJson(StructSchema, { a: [1, "x", null], b: { c: true } });
    assert.equal(toJsonText(StructSchema, struct), toJsonString(StructSchema, struct));
    const int = create(Int64ValueSchema, { value: 5n });
    assert.equal(toJsonText(Int64ValueSchema, int), '"5"');
    const any = anyPack(FieldMaskSchema, mask);
    assert.throws(() => toJsonString(AnySchema, any), /not in the type registry/);
    assert.throws(() => toJsonText(AnySchema, any), /not in the type registry/);
  });

  it("writes an Any's contents with the registry given, as toJsonString with that registry", () => {
    const mask = create(FieldMaskSchema, { paths: ["a.b_c", "d"] });
    const any = anyPack(FieldMaskSchema, mask);
    const registry = createRegistry(FieldMaskSchema);
    assert.equal(toJsonText(AnySchema, any, registry), toJsonString(AnySchema, any, { registry }));
    // The registry is for that call only.
    assert.throws(() => toJsonText(AnySchema, any), /not in the type registry/);
  });

  it("writes messages of descriptors read at run time (as reflection gives a gRPC target's) as toJsonString does", () => {
    // rig's own event and spec files, through a FileDescriptorSet as a reflection client
    // receives them: new descriptor objects, not the generated ones.
    const files: FileDescriptorProto[] = [];
    const seen = new Set<string>();
    const collect = (file: DescFile): void => {
      if (seen.has(file.name)) return;
      seen.add(file.name);
      for (const dependency of file.dependencies) collect(dependency);
      files.push(file.proto);
    };
    collect(EventSchema.file);
    collect(EnvironmentSpecSchema.file);
    const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: files }));
    let compared = 0;
    for (const generated of [EventSchema, EnvironmentSpecSchema]) {
      const dynamic = registry.getMessage(generated.typeName)!;
      assert.notEqual(dynamic, generated);
      for (let variant = 0; variant < 8; variant++) {
        const message = fromBinary(dynamic, toBinary(generated, filled(generated, variant) as never));
        assert.equal(toJsonText(dynamic, message, registry), toJsonString(dynamic, message, { registry }), `${generated.typeName} variant ${variant}`);
        compared++;
      }
    }
    assert.equal(compared, 16);
  });

  it("refuses what toJsonString refuses: a wrong type, a foreign message, a timestamp out of range", () => {
    const wrongType = create(EventSchema, { service: "x" });
    (wrongType as unknown as Record<string, unknown>).service = 5;
    assert.throws(() => toJsonString(EventSchema, wrongType));
    assert.throws(() => toJsonText(EventSchema, wrongType), /cannot encode field rig\.v1\.Event\.service to JSON/);

    const foreign = create(EventSchema);
    (foreign as unknown as Record<string, unknown>).time = create(EventSchema);
    assert.throws(() => toJsonString(EventSchema, foreign));
    assert.throws(() => toJsonText(EventSchema, foreign), /cannot encode google\.protobuf\.Timestamp to JSON: got a message rig\.v1\.Event/);

    const ancient = create(EventSchema, { time: { seconds: -70_000_000_000n, nanos: 0 } });
    assert.throws(() => toJsonString(EventSchema, ancient));
    assert.throws(() => toJsonText(EventSchema, ancient), /0001-01-01/);
  });
});
