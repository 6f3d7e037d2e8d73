/**
 * Turns the file descriptors a server's reflection sent into a set `@bufbuild/protobuf`
 * accepts. Servers built with protoc send exact descriptors; others (grpc-js with
 * `@grpc/reflection`, descriptors made by protobufjs) send loose ones: relative type
 * names (`Inner` for `.pkg.Msg.Inner`), missing field types, no dependency lists,
 * invented file names and no `json_name`. This resolves names the way protoc would
 * (innermost scope first), recomputes dependencies from the types each file uses,
 * orders files so dependencies come first, and fills `json_name`.
 */
import { create } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import {
  type DescriptorProto,
  type FieldDescriptorProto,
  FieldDescriptorProto_Type,
  type FileDescriptorProto,
  type FileDescriptorSet,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";

interface TypeEntry {
  readonly file: FileDescriptorProto;
  readonly kind: "message" | "enum";
}

/** Repairs `files` (modified in place) and returns them as a dependency-ordered set. */
export function repairDescriptors(files: readonly FileDescriptorProto[]): FileDescriptorSet {
  const unique = new Map<string, FileDescriptorProto>();
  for (const file of files) if (!unique.has(file.name)) unique.set(file.name, file);
  const types = indexTypes([...unique.values()]);
  const deps = new Map<FileDescriptorProto, Set<string>>();

  for (const file of unique.values()) {
    const used = new Set<string>();
    const scope = file.package ? `.${file.package}` : "";
    /** Resolves a reference from scope `at` and notes the file that defines it. */
    const use = (name: string, at: string): string | undefined => {
      const full = resolveName(types, name, at);
      const entry = full === undefined ? undefined : types.get(full);
      if (entry && entry.file !== file) used.add(entry.file.name);
      return full;
    };
    const fixField = (field: FieldDescriptorProto, at: string): void => {
      if (!field.jsonName) field.jsonName = protoCamelCase(field.name);
      const full = use(field.typeName, at);
      if (full) {
        field.typeName = full;
        if (!field.type) {
          const kind = types.get(full)?.kind;
          field.type = kind === "enum" ? FieldDescriptorProto_Type.ENUM : FieldDescriptorProto_Type.MESSAGE;
        }
      }
      const extendee = use(field.extendee, at);
      if (extendee) field.extendee = extendee;
    };
    const fixMessage = (message: DescriptorProto, parent: string): void => {
      const at = `${parent}.${message.name}`;
      for (const field of message.field) fixField(field, at);
      for (const field of message.extension) fixField(field, at);
      for (const nested of message.nestedType) fixMessage(nested, at);
    };
    for (const message of file.messageType) fixMessage(message, scope);
    for (const field of file.extension) fixField(field, scope);
    for (const service of file.service) {
      for (const method of service.method) {
        method.inputType = use(method.inputType, scope) ?? method.inputType;
        method.outputType = use(method.outputType, scope) ?? method.outputType;
      }
    }
    // Keep declared imports that are present (public imports, options), add the used ones.
    for (const name of file.dependency) if (unique.has(name) && name !== file.name) used.add(name);
    deps.set(file, used);
  }

  const ordered: FileDescriptorProto[] = [];
  const visited = new Set<string>();
  const visit = (file: FileDescriptorProto): void => {
    if (visited.has(file.name)) return;
    visited.add(file.name);
    const fileDeps = [...(deps.get(file) ?? [])];
    for (const name of fileDeps) visit(unique.get(name) as FileDescriptorProto);
    file.dependency = fileDeps;
    // Indices into `dependency` are meaningless once it is rebuilt.
    file.publicDependency = [];
    file.weakDependency = [];
    ordered.push(file);
  };
  for (const file of unique.values()) visit(file);
  return create(FileDescriptorSetSchema, { file: ordered });
}

/** Every message and enum by fully-qualified name with a leading dot. */
function indexTypes(files: readonly FileDescriptorProto[]): Map<string, TypeEntry> {
  const types = new Map<string, TypeEntry>();
  for (const file of files) {
    const scope = file.package ? `.${file.package}` : "";
    const addMessage = (message: DescriptorProto, parent: string): void => {
      const name = `${parent}.${message.name}`;
      if (!types.has(name)) types.set(name, { file, kind: "message" });
      for (const nested of message.nestedType) addMessage(nested, name);
      for (const e of message.enumType) if (!types.has(`${name}.${e.name}`)) types.set(`${name}.${e.name}`, { file, kind: "enum" });
    };
    for (const message of file.messageType) addMessage(message, scope);
    for (const e of file.enumType) if (!types.has(`${scope}.${e.name}`)) types.set(`${scope}.${e.name}`, { file, kind: "enum" });
  }
  return types;
}

/**
 * Resolves a type reference as protoc does: a leading dot is absolute; otherwise try
 * the innermost scope first, then each enclosing one. Undefined when nothing matches.
 */
function resolveName(types: ReadonlyMap<string, TypeEntry>, name: string, scope: string): string | undefined {
  if (!name) return undefined;
  if (name.startsWith(".")) return types.has(name) ? name : undefined;
  let at = scope;
  for (;;) {
    const candidate = `${at}.${name}`;
    if (types.has(candidate)) return candidate;
    if (at === "") return undefined;
    at = at.slice(0, Math.max(0, at.lastIndexOf(".")));
  }
}
