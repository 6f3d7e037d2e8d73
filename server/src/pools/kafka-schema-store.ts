/**
 * The schemas behind rig's Confluent-compatible schema registry (AVRO only): one store
 * per rigd with global ids (so a proxy decodes a value by the id in its wire format
 * whatever environment wrote it), and a namespace of subjects per environment (so two
 * environments may register `orders-value` without seeing each other).
 *
 * Compatibility is checked with avsc's schema resolution: BACKWARD = the new schema
 * can read data written with the old one; FORWARD = the old one can read the new;
 * FULL = both; the `_TRANSITIVE` levels check every earlier version, the others the
 * latest only; NONE checks nothing. The default level is BACKWARD, as Confluent's.
 */
import { createRequire } from "node:module";
import { inRigdBundle } from "../os/rigd-bundle.js";
import type avroTypes from "avsc";

let loaded: typeof avroTypes | undefined;

/**
 * avsc, loaded on first use: ~20 ms a rigd that never sees an Avro schema would pay at
 * every start. A CommonJS package; see os/rigd-bundle.ts.
 */
function avsc(): typeof avroTypes {
  loaded ??= (inRigdBundle ? require("avsc") : createRequire(import.meta.url)("avsc")) as typeof avroTypes;
  return loaded;
}

/** Confluent's compatibility levels. */
export const COMPATIBILITY_LEVELS = ["NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"] as const;
/** One of COMPATIBILITY_LEVELS. */
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

/** A registry error with Confluent's error code (`status` is the HTTP status). */
export class RegistryError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = "RegistryError";
  }
}

/** One version of a subject. */
export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly id: number;
  readonly schema: string;
}

interface StoredSchema {
  readonly id: number;
  /** The schema as registered, minified. */
  readonly text: string;
  readonly type: avroTypes.Type;
}

/** Parses an Avro schema or throws a 422 saying why. */
function parseSchema(text: string): { canonical: string; type: avroTypes.Type } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(422, 42201, `Invalid schema: not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    const type = avsc().Type.forSchema(json as avroTypes.Schema);
    return { canonical: JSON.stringify(json), type };
  } catch (err) {
    throw new RegistryError(422, 42201, `Invalid schema: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** True when data written with `writer` can be read with `reader`. */
function canRead(reader: avroTypes.Type, writer: avroTypes.Type): boolean {
  try {
    reader.createResolver(writer);
    return true;
  } catch {
    return false;
  }
}

/** Whether `candidate` may follow `existing` (oldest first) under `level`. */
export function compatible(level: CompatibilityLevel, candidate: avroTypes.Type, existing: readonly avroTypes.Type[]): boolean {
  if (level === "NONE" || existing.length === 0) return true;
  const against = level.endsWith("_TRANSITIVE") ? existing : existing.slice(-1);
  const backward = level.startsWith("BACKWARD") || level.startsWith("FULL");
  const forward = level.startsWith("FORWARD") || level.startsWith("FULL");
  return against.every((old) => (!backward || canRead(candidate, old)) && (!forward || canRead(old, candidate)));
}

/** rigd's one store of schemas. */
export class SchemaStore {
  private readonly byId = new Map<number, StoredSchema>();
  private readonly idByCanonical = new Map<string, number>();
  private nextId = 1;

  /** The schema of a global id (for proxies decoding the Confluent wire format). */
  schemaById(id: number): { text: string; type: avroTypes.Type } | undefined {
    return this.byId.get(id);
  }

  /** A new empty namespace (one environment's subjects). */
  namespace(): SchemaNamespace {
    return new SchemaNamespace(this);
  }

  /** The id of a schema, storing it on first sight (same schema, same id, as Confluent). */
  intern(text: string): StoredSchema {
    const { canonical, type } = parseSchema(text);
    const known = this.idByCanonical.get(canonical);
    if (known !== undefined) return this.byId.get(known) as StoredSchema;
    const stored = { id: this.nextId++, text: canonical, type };
    this.byId.set(stored.id, stored);
    this.idByCanonical.set(canonical, stored.id);
    return stored;
  }

  /** Parses without storing (compatibility checks of schemas never registered). */
  parse(text: string): avroTypes.Type {
    return parseSchema(text).type;
  }
}

/** The subjects of one environment. */
export class SchemaNamespace {
  private readonly subjects = new Map<string, StoredSchema[]>();
  private readonly levels = new Map<string, CompatibilityLevel>();
  private level: CompatibilityLevel = "BACKWARD";

  constructor(private readonly store: SchemaStore) {}

  subjectNames(): string[] {
    return [...this.subjects.keys()].filter((s) => (this.subjects.get(s)?.length ?? 0) > 0);
  }

  versions(subject: string): number[] {
    return this.versionsOf(subject).map((_, i) => i + 1);
  }

  /** Registers a schema under a subject; an identical schema already there returns its id. */
  register(subject: string, text: string): number {
    if (!subject) throw new RegistryError(422, 42208, "Invalid subject: empty");
    const stored = this.store.intern(text);
    const versions = this.subjects.get(subject) ?? [];
    if (versions.some((v) => v.id === stored.id)) return stored.id;
    const level = this.compatibility(subject);
    if (!compatible(level, stored.type, versions.map((v) => v.type))) {
      throw new RegistryError(409, 409, `Schema being registered is incompatible with an earlier schema for subject "${subject}" (compatibility ${level})`);
    }
    versions.push(stored);
    this.subjects.set(subject, versions);
    return stored.id;
  }

  /** A version (a number or `latest`, `-1`). */
  version(subject: string, version: string): SubjectVersion {
    const versions = this.versionsOf(subject);
    const n = version === "latest" || version === "-1" ? versions.length : Number(version);
    if (!Number.isInteger(n) || n < 1) {
      throw new RegistryError(422, 42202, `Invalid version "${version}": a positive integer, -1 or latest`);
    }
    const stored = versions[n - 1];
    if (!stored) throw new RegistryError(404, 40402, `Version ${version} not found for subject "${subject}"`);
    return { subject, version: n, id: stored.id, schema: stored.text };
  }

  /** The version a schema has under a subject (POST /subjects/{subject}). */
  lookup(subject: string, text: string): SubjectVersion {
    const versions = this.versionsOf(subject);
    const stored = this.store.intern(text);
    const index = versions.findIndex((v) => v.id === stored.id);
    if (index < 0) throw new RegistryError(404, 40403, `Schema not found under subject "${subject}"`);
    return { subject, version: index + 1, id: stored.id, schema: stored.text };
  }

  /** The schema of an id registered in this namespace. */
  schemaById(id: number): string {
    for (const versions of this.subjects.values()) {
      const stored = versions.find((v) => v.id === id);
      if (stored) return stored.text;
    }
    throw new RegistryError(404, 40403, `Schema ${id} not found`);
  }

  /** Deletes a subject; returns its versions. */
  deleteSubject(subject: string): number[] {
    const versions = this.versions(subject);
    this.subjects.delete(subject);
    this.levels.delete(subject);
    return versions;
  }

  /** Whether a schema may follow a version (`latest` or a number) of a subject. */
  isCompatible(subject: string, version: string, text: string): boolean {
    const candidate = this.store.parse(text);
    const versions = this.versionsOf(subject);
    const against = versions[this.version(subject, version).version - 1] as StoredSchema;
    return compatible(this.compatibility(subject).replace("_TRANSITIVE", "") as CompatibilityLevel, candidate, [against.type]);
  }

  /** The level of a subject (its own, else the namespace's). */
  compatibility(subject?: string): CompatibilityLevel {
    return (subject && this.levels.get(subject)) || this.level;
  }

  setCompatibility(level: string, subject?: string): CompatibilityLevel {
    if (!(COMPATIBILITY_LEVELS as readonly string[]).includes(level)) {
      throw new RegistryError(422, 42203, `Invalid compatibility level "${level}": one of ${COMPATIBILITY_LEVELS.join(", ")}`);
    }
    const valid = level as CompatibilityLevel;
    if (subject) this.levels.set(subject, valid);
    else this.level = valid;
    return valid;
  }

  private versionsOf(subject: string): StoredSchema[] {
    const versions = this.subjects.get(subject);
    if (!versions || versions.length === 0) throw new RegistryError(404, 40401, `Subject "${subject}" not found`);
    return versions;
  }
}
