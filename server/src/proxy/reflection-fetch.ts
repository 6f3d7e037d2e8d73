/**
 * Fetches a gRPC server's descriptors through server reflection with
 * `grpc-js-reflection-client`, trying `grpc.reflection.v1` and then `v1alpha`.
 *
 * The client's public `getDescriptorBySymbol` round-trips the descriptors through
 * protobufjs, which renames files and drops dependencies and field types, so this
 * uses its raw calls (`getProtoDescriptorBySymbol`, `getProtoDescriptorByFileName`:
 * the FileDescriptorProto bytes as the server sent them) and repairs those instead.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";
import { repairDescriptors } from "./descriptor-repair.js";

/**
 * grpc-js and the reflection client (with protobufjs under it) are loaded on the first
 * fetch, not when rigd starts: together ~40 ms of a cold start that most runs never need.
 */
let modules: Promise<[typeof import("@grpc/grpc-js"), typeof import("grpc-js-reflection-client")]> | undefined;
function loadModules(): Promise<[typeof import("@grpc/grpc-js"), typeof import("grpc-js-reflection-client")]> {
  modules ??= Promise.all([import("@grpc/grpc-js"), import("grpc-js-reflection-client")]);
  return modules;
}

/** The reflection calls used, including the two the client's typings mark private. */
interface RawReflection {
  listServices(prefix: string, metadata: grpc.Metadata, options: grpc.CallOptions): Promise<string[]>;
  getProtoDescriptorBySymbol(symbol: string, metadata: grpc.Metadata, options: grpc.CallOptions): Promise<Uint8Array[]>;
  getProtoDescriptorByFileName(file: string, metadata: grpc.Metadata, options: grpc.CallOptions): Promise<Uint8Array[]>;
  readonly client?: grpc.Client;
}

/** The target does not serve reflection (neither v1 nor v1alpha). */
export class ReflectionUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ReflectionUnavailableError";
  }
}

/** Reflection services themselves; their descriptors are of no use for decoding. */
const SKIPPED_SERVICES = /^grpc\.reflection\./;

/** Options of a fetch. */
export interface FetchOptions {
  /** Deadline of each reflection call. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * Fetches every service's file descriptors (with transitive imports) from the server at
 * `address` (host:port, cleartext). Throws ReflectionUnavailableError when the server
 * has no reflection, other errors when reflection failed.
 */
export async function fetchDescriptors(address: string, options: FetchOptions = {}): Promise<FileDescriptorSet> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const reasons: string[] = [];
  const [grpcJs, { GrpcReflection }] = await loadModules();
  for (const version of ["v1", "v1alpha"] as const) {
    const reflection = new GrpcReflection(address, grpcJs.credentials.createInsecure(), {}, version) as unknown as RawReflection;
    try {
      return await fetchWith(grpcJs, reflection, timeoutMs);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!/UNIMPLEMENTED/.test(message)) throw new Error(`server reflection ${version} failed: ${message}`);
      reasons.push(`${version}: ${message.replace(/^Error: /, "")}`);
    } finally {
      reflection.client?.close();
    }
  }
  throw new ReflectionUnavailableError(`target serves no gRPC server reflection (${reasons.join("; ")})`);
}

async function fetchWith(
  grpcJs: typeof import("@grpc/grpc-js"),
  reflection: RawReflection,
  timeoutMs: number,
): Promise<FileDescriptorSet> {
  const call = (): [grpc.Metadata, grpc.CallOptions] => [new grpcJs.Metadata(), { deadline: Date.now() + timeoutMs }];
  const services = (await reflection.listServices("*", ...call())).filter((s) => !SKIPPED_SERVICES.test(s));
  const files = new Map<string, FileDescriptorProto>();
  const add = (raw: readonly Uint8Array[]): void => {
    for (const bytes of raw) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      if (!files.has(file.name)) files.set(file.name, file);
    }
  };
  for (const service of services) add(await reflection.getProtoDescriptorBySymbol(service, ...call()));
  // Servers should send transitive imports along; fetch any that are still missing.
  const tried = new Set<string>();
  for (;;) {
    const missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d) && !tried.has(d));
    if (missing.length === 0) break;
    for (const name of missing) {
      tried.add(name);
      try {
        add(await reflection.getProtoDescriptorByFileName(name, ...call()));
      } catch {
        // An import the server cannot serve; types from it stay unresolved.
      }
    }
  }
  return repairDescriptors([...files.values()]);
}
