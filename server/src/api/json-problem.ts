/**
 * Where a JSON request that does not parse goes wrong. protobuf-es names at most the field's
 * declaration ("cannot decode field rig.v1.EnvironmentSpec.ttl"), often only a type
 * ("cannot decode message google.protobuf.Duration from JSON"), and for a duration with
 * ten fractional digits throws a bare RangeError ("Invalid count value: -1"). This finds
 * the path in the request the way spec problems are written (`spec.services[1](api).ttl`)
 * by parsing ever smaller parts of the request until the one that fails alone; it runs
 * only for a request that already failed.
 */
import { fromJson, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";

/** A problem at a path of the request. */
export interface JsonProblem {
  readonly path: string;
  readonly message: string;
}

const OPTIONS = { ignoreUnknownFields: false } as const;

/** The problem of `json` as a `desc`, or undefined when it parses. */
export function jsonProblem(desc: DescMessage, json: JsonValue): JsonProblem | undefined {
  const error = parseError(desc, json);
  if (error === undefined) return undefined;
  return locate(desc, json, "") ?? { path: "", message: messageOf(error, desc) };
}

function parseError(desc: DescMessage, json: JsonValue): unknown {
  try {
    fromJson(desc, json, OPTIONS);
    return undefined;
  } catch (err) {
    return err;
  }
}

function isObject(json: JsonValue): json is { [key: string]: JsonValue } {
  return typeof json === "object" && json !== null && !Array.isArray(json);
}

/** The deepest part of `json` that fails alone, with its path. */
function locate(desc: DescMessage, json: JsonValue, path: string): JsonProblem | undefined {
  if (!isObject(json) || desc.typeName.startsWith("google.protobuf.")) return undefined;
  for (const [key, value] of Object.entries(json)) {
    const field = desc.fields.find((f) => f.jsonName === key || f.name === key);
    const error = parseError(desc, { [key]: value });
    if (error === undefined) continue;
    if (!field) return { path, message: messageOf(error, desc) };
    const at = path ? `${path}.${field.name}` : field.name;
    return inField(field, value, at) ?? { path: at, message: messageOf(error, field.message ?? desc) };
  }
  return undefined;
}

/** Inside one field: a message, a list item or a map value that fails alone. */
function inField(field: DescField, value: JsonValue, at: string): JsonProblem | undefined {
  const message = field.message;
  if (!message) return undefined;
  if (field.fieldKind === "message") return locate(message, value, at);
  const entries: [string, JsonValue][] =
    field.fieldKind === "list" && Array.isArray(value)
      ? value.map((item, i) => [`${at}[${i}]${named(item)}`, item])
      : field.fieldKind === "map" && isObject(value)
        ? Object.entries(value).map(([k, v]) => [`${at}[${JSON.stringify(k)}]`, v])
        : [];
  for (const [itemPath, item] of entries) {
    const error = parseError(message, item);
    if (error !== undefined) return locate(message, item, itemPath) ?? { path: itemPath, message: messageOf(error, message) };
  }
  return undefined;
}

/** `(api)` after a list item that has a name, as spec problems name services. */
function named(item: JsonValue): string {
  return isObject(item) && typeof item["name"] === "string" ? `(${item["name"].slice(0, 60)})` : "";
}

/** The library's message, with the type it failed on said in words. */
function messageOf(error: unknown, desc: DescMessage): string {
  const text = error instanceof Error ? error.message : String(error);
  if (desc.typeName === "google.protobuf.Duration") {
    return `not a duration (${text.slice(0, 200)}): write seconds with an "s" and at most 9 digits after the point, as "30s", "1.5s" or "0.000000001s"`;
  }
  if (desc.typeName === "google.protobuf.Timestamp") {
    return `not a timestamp (${text.slice(0, 200)}): write RFC 3339 in UTC, as "2026-12-03T10:00:00Z"`;
  }
  return text.slice(0, 500);
}
