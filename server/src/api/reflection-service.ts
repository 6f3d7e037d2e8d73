/**
 * gRPC server reflection (grpc.reflection.v1 and v1alpha) over any set of served
 * services, so grpcurl and rig's own proxy can describe and call rigd with no proto
 * files. Both versions share one wire format; the answer logic is written once against
 * their common shape and each version only wraps it.
 */
import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { ServerReflection as ServerReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { DescriptorIndex } from "./descriptor-index.js";

/** The gRPC status code reflection reports for unknown names. */
const NOT_FOUND = 5;
/** The gRPC status code reflection reports for a request it does not understand. */
const INVALID_ARGUMENT = 3;

/** A reflection request as both protocol versions define it. */
export interface ReflectionQuery {
  readonly messageRequest:
    | { case: "fileByFilename"; value: string }
    | { case: "fileContainingSymbol"; value: string }
    | { case: "fileContainingExtension"; value: { containingType: string; extensionNumber: number } }
    | { case: "allExtensionNumbersOfType"; value: string }
    | { case: "listServices"; value: string }
    | { case: undefined; value?: undefined };
}

/** A reflection answer as both protocol versions define it. */
export type ReflectionAnswer =
  | { case: "fileDescriptorResponse"; value: { fileDescriptorProto: Uint8Array[] } }
  | { case: "allExtensionNumbersResponse"; value: { baseTypeName: string; extensionNumber: number[] } }
  | { case: "listServicesResponse"; value: { service: { name: string }[] } }
  | { case: "errorResponse"; value: { errorCode: number; errorMessage: string } };

/** Answers one reflection request from an index. */
export function answerReflection(index: DescriptorIndex, query: ReflectionQuery): ReflectionAnswer {
  const request = query.messageRequest;
  const files = (file: Parameters<DescriptorIndex["serializedWithDependencies"]>[0]): ReflectionAnswer => ({
    case: "fileDescriptorResponse",
    value: { fileDescriptorProto: index.serializedWithDependencies(file) },
  });
  const notFound = (what: string): ReflectionAnswer => ({
    case: "errorResponse",
    value: { errorCode: NOT_FOUND, errorMessage: `${what} not found` },
  });
  switch (request.case) {
    case "listServices":
      return {
        case: "listServicesResponse",
        value: { service: index.serviceNames.map((name) => ({ name })) },
      };
    case "fileByFilename": {
      const file = index.fileByName(request.value);
      return file ? files(file) : notFound(`file "${request.value}"`);
    }
    case "fileContainingSymbol": {
      const file = index.fileContainingSymbol(request.value);
      return file ? files(file) : notFound(`symbol "${request.value}"`);
    }
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = request.value;
      const file = index.fileContainingExtension(containingType, extensionNumber);
      return file ? files(file) : notFound(`extension ${extensionNumber} of "${containingType}"`);
    }
    case "allExtensionNumbersOfType": {
      const message = index.message(request.value);
      if (!message) return notFound(`type "${request.value}"`);
      return {
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: message.typeName, extensionNumber: index.extensionNumbersOf(message.typeName) },
      };
    }
    default:
      return {
        case: "errorResponse",
        value: { errorCode: INVALID_ARGUMENT, errorMessage: "empty reflection request" },
      };
  }
}

/**
 * Registers grpc.reflection.v1 and v1alpha on a router, describing `served` plus the
 * reflection services themselves. The index is built at the first reflection request
 * (~5 ms that rigd's start need not pay: most clients never reflect).
 */
export function addReflectionServices(router: ConnectRouter, served: readonly DescService[]): void {
  let built: DescriptorIndex | undefined;
  const index = (): DescriptorIndex => (built ??= new DescriptorIndex([...served, ServerReflectionV1, ServerReflectionV1alpha]));
  const v1: ServiceImpl<typeof ServerReflectionV1> = {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answerReflection(index(), req) };
      }
    },
  };
  const v1alpha: ServiceImpl<typeof ServerReflectionV1alpha> = {
    async *serverReflectionInfo(requests) {
      for await (const req of requests) {
        yield { validHost: req.host, originalRequest: req, messageResponse: answerReflection(index(), req) };
      }
    },
  };
  router.service(ServerReflectionV1, v1);
  router.service(ServerReflectionV1alpha, v1alpha);
}
