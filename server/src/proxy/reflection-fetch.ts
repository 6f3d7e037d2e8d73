/**
 * Fetches a gRPC server's descriptors through server reflection, trying
 * `grpc.reflection.v1` and then `v1alpha`, with the Connect client and the reflection
 * stubs rig generates with buf. The FileDescriptorProto bytes are used as the server
 * sent them (then repaired, see descriptor-repair.ts): no protobufjs round trip, and no
 * reflection client library that would need its private methods called.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema, type FileDescriptorSet } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1Alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { repairDescriptors } from "./descriptor-repair.js";

/** What rig asks: the same fields in v1 and v1alpha. */
interface ReflectionRequest {
  readonly messageRequest: { case: "listServices" | "fileContainingSymbol" | "fileByFilename"; value: string };
}

/** The parts of an answer rig reads; v1 and v1alpha answers both have this shape. */
interface ReflectionAnswer {
  readonly messageResponse: {
    readonly case: string | undefined;
    readonly value?: {
      readonly fileDescriptorProto?: readonly Uint8Array[];
      readonly service?: readonly { readonly name: string }[];
      readonly baseTypeName?: string;
      readonly errorCode?: number;
      readonly errorMessage?: string;
    };
  };
}

/** One request, one answer, on a stream of its own. */
type Ask = (request: ReflectionRequest) => Promise<ReflectionAnswer>;

async function* once<T>(value: T): AsyncIterable<T> {
  yield value;
}

async function firstOf<T>(answers: AsyncIterable<T>): Promise<T> {
  for await (const answer of answers) return answer;
  throw new ConnectError("reflection stream ended without an answer", Code.Unknown);
}

function askWith(version: "v1" | "v1alpha", transport: Transport, timeoutMs: number): Ask {
  if (version === "v1") {
    const client = createClient(ReflectionV1, transport);
    return (request) => firstOf(client.serverReflectionInfo(once(request), { timeoutMs }));
  }
  const client = createClient(ReflectionV1Alpha, transport);
  return (request) => firstOf(client.serverReflectionInfo(once(request), { timeoutMs }));
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
  const transport = createGrpcTransport({ baseUrl: `http://${address}` });
  for (const version of ["v1", "v1alpha"] as const) {
    try {
      return await fetchWith(askWith(version, transport, timeoutMs));
    } catch (err) {
      const error = ConnectError.from(err);
      if (error.code !== Code.Unimplemented) throw new Error(`server reflection ${version} failed: ${error.message}`);
      reasons.push(`${version}: ${error.message}`);
    }
  }
  throw new ReflectionUnavailableError(`target serves no gRPC server reflection (${reasons.join("; ")})`);
}

/** The descriptor files of an answer; any other answer is an error naming what came. */
function filesOf(answer: ReflectionAnswer, asked: string): readonly Uint8Array[] {
  const { case: kind, value } = answer.messageResponse;
  if (kind === "fileDescriptorResponse") return value?.fileDescriptorProto ?? [];
  if (kind === "errorResponse") {
    throw new ConnectError(`${asked}: ${value?.errorMessage || "error"}`, value?.errorCode ?? Code.Unknown);
  }
  throw new ConnectError(`${asked}: unexpected answer ${kind ?? "(empty)"}`, Code.Internal);
}

async function fetchWith(ask: Ask): Promise<FileDescriptorSet> {
  const listed = await ask({ messageRequest: { case: "listServices", value: "*" } });
  if (listed.messageResponse.case !== "listServicesResponse") filesOf(listed, "list services");
  const services = (listed.messageResponse.value?.service ?? []).map((s) => s.name).filter((s) => !SKIPPED_SERVICES.test(s));
  const files = new Map<string, FileDescriptorProto>();
  const add = (raw: readonly Uint8Array[]): void => {
    for (const bytes of raw) {
      const file = fromBinary(FileDescriptorProtoSchema, bytes);
      if (!files.has(file.name)) files.set(file.name, file);
    }
  };
  for (const service of services) {
    add(filesOf(await ask({ messageRequest: { case: "fileContainingSymbol", value: service } }), `symbol ${service}`));
  }
  // Servers should send transitive imports along; fetch any that are still missing.
  const tried = new Set<string>();
  for (;;) {
    const missing = [...files.values()].flatMap((f) => f.dependency).filter((d) => !files.has(d) && !tried.has(d));
    if (missing.length === 0) break;
    for (const name of missing) {
      tried.add(name);
      try {
        add(filesOf(await ask({ messageRequest: { case: "fileByFilename", value: name } }), `file ${name}`));
      } catch {
        // An import the server cannot serve; types from it stay unresolved.
      }
    }
  }
  return repairDescriptors([...files.values()]);
}
