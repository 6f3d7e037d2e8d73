/**
 * An index over the protobuf files behind a set of served services: the files themselves
 * (plus every transitive import, google/protobuf/* included), every fully-qualified
 * symbol they declare, and their extensions. Server reflection answers from it; it knows
 * nothing about the reflection protocol.
 */
import { createFileRegistry, toBinary } from "@bufbuild/protobuf";
import type {
  DescEnum,
  DescExtension,
  DescFile,
  DescMessage,
  DescService,
  FileRegistry,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** Symbols, files and extensions of the files that define some served services. */
export class DescriptorIndex {
  /** Fully-qualified names of the served services, as listed by reflection. */
  readonly serviceNames: readonly string[];
  readonly #registry: FileRegistry;
  /** Symbol (package.Message, package.Service.Method, ...) to the file that declares it. */
  readonly #symbols = new Map<string, DescFile>();
  /** Extendee type name to extension number to the extension. */
  readonly #extensions = new Map<string, Map<number, DescExtension>>();
  readonly #serialized = new Map<string, Uint8Array>();

  /** Indexes the files of the given services and everything they import. */
  constructor(services: readonly DescService[]) {
    this.serviceNames = [...new Set(services.map((s) => s.typeName))].sort();
    const files = new Map<string, DescFile>();
    const visit = (file: DescFile): void => {
      if (files.has(file.proto.name)) return;
      files.set(file.proto.name, file);
      file.dependencies.forEach(visit);
    };
    for (const service of services) visit(service.file);
    // One registry over every file, each re-linked against the already generated
    // descriptors of its imports, so lookups by file name and type name agree.
    this.#registry = createFileRegistry(
      ...[...files.values()].map((file) => createFileRegistry(file.proto, (name) => files.get(name))),
    );
    for (const file of this.#registry.files) this.#indexFile(file);
  }

  /** The file with this name (e.g. `rig/v1/spec.proto`), if served. */
  fileByName(name: string): DescFile | undefined {
    return this.#registry.getFile(name);
  }

  /** The file declaring a fully-qualified symbol: type, service, method, field, enum value. */
  fileContainingSymbol(symbol: string): DescFile | undefined {
    return this.#symbols.get(symbol.replace(/^\./, ""));
  }

  /** The message with this type name, if known. */
  message(typeName: string): DescMessage | undefined {
    const desc = this.#registry.get(typeName.replace(/^\./, ""));
    return desc?.kind === "message" ? desc : undefined;
  }

  /** The extension numbers declared for a message type (sorted). */
  extensionNumbersOf(typeName: string): number[] {
    const byNumber = this.#extensions.get(typeName.replace(/^\./, ""));
    return byNumber ? [...byNumber.keys()].sort((a, b) => a - b) : [];
  }

  /** The file declaring extension `number` of message `typeName`, if any. */
  fileContainingExtension(typeName: string, number: number): DescFile | undefined {
    return this.#extensions.get(typeName.replace(/^\./, ""))?.get(number)?.file;
  }

  /**
   * A file and its transitive imports as serialized FileDescriptorProtos, the file
   * first, so a client can link it without asking again.
   */
  serializedWithDependencies(file: DescFile): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<string>();
    const visit = (f: DescFile): void => {
      if (seen.has(f.proto.name)) return;
      seen.add(f.proto.name);
      out.push(this.#serialize(f));
      f.dependencies.forEach(visit);
    };
    visit(file);
    return out;
  }

  #serialize(file: DescFile): Uint8Array {
    let bytes = this.#serialized.get(file.proto.name);
    if (!bytes) {
      bytes = toBinary(FileDescriptorProtoSchema, file.proto);
      this.#serialized.set(file.proto.name, bytes);
    }
    return bytes;
  }

  #indexFile(file: DescFile): void {
    const add = (name: string): void => void this.#symbols.set(name, file);
    const scopeOf = (parent: DescMessage | undefined): string =>
      parent ? parent.typeName : file.proto.package;
    const addEnum = (e: DescEnum): void => {
      add(e.typeName);
      // Enum values live in the scope that encloses the enum (C++ scoping rules).
      const scope = scopeOf(e.parent);
      for (const v of e.values) add(scope ? `${scope}.${v.name}` : v.name);
    };
    const addExtension = (ext: DescExtension): void => {
      add(ext.typeName);
      let byNumber = this.#extensions.get(ext.extendee.typeName);
      if (!byNumber) this.#extensions.set(ext.extendee.typeName, (byNumber = new Map()));
      byNumber.set(ext.number, ext);
    };
    const addMessage = (m: DescMessage): void => {
      add(m.typeName);
      for (const field of m.fields) add(`${m.typeName}.${field.name}`);
      for (const oneof of m.oneofs) add(`${m.typeName}.${oneof.name}`);
      // Map entry types are not among nestedMessages, but reflection clients ask for them.
      for (const nested of m.proto.nestedType) add(`${m.typeName}.${nested.name}`);
      m.nestedMessages.forEach(addMessage);
      m.nestedEnums.forEach(addEnum);
      m.nestedExtensions.forEach(addExtension);
    };
    file.messages.forEach(addMessage);
    file.enums.forEach(addEnum);
    file.extensions.forEach(addExtension);
    for (const service of file.services) {
      add(service.typeName);
      for (const method of service.methods) add(`${service.typeName}.${method.name}`);
    }
  }
}
