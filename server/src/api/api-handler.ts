/**
 * Assembles everything rigd serves on its port into one Node request handler:
 * rig.v1.EnvironmentService, grpc.health.v1.Health and server reflection, over gRPC,
 * gRPC-Web and Connect (binary and JSON).
 */
import type { DescService } from "@bufbuild/protobuf";
import { Code, ConnectError, createConnectRouter, type ConnectRouter, type ConnectRouterOptions } from "@connectrpc/connect";
import { compressionBrotli, compressionGzip, universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import { checkedRequest } from "./checked-request-body.js";
import type { Logger } from "pino";
import { tokenGate } from "../auth/token-gate.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import type { RequestHandler } from "./cleartext-server.js";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import { createEnvironmentService } from "./environment-service.js";
import { createHealthService, HealthStatus } from "./health-service.js";
import { addReflectionServices } from "./reflection-service.js";

/** Health names rigd reports: the server as a whole and its API. */
export const HEALTH_SERVICE_NAMES: readonly string[] = ["", EnvironmentService.typeName];

/** The request handler and the health table it reports from. */
export interface ApiHandler {
  readonly handler: RequestHandler;
  readonly health: HealthStatus;
}

/** The token every RPC but health Check must carry, and the file it is kept in (for errors). */
export interface ApiAuth {
  readonly token: string;
  readonly tokenFile: string;
}

/** How rigd's request handler is built. */
export interface ApiOptions {
  /** Bigger requests are refused (RESOURCE_EXHAUSTED) before they are parsed. */
  readonly readMaxBytes?: number;
  /** The token to ask for; rigd always passes it (without it, handler tests only, no token is asked for). */
  readonly auth?: ApiAuth;
  /** More services served beside EnvironmentService (rigd adds LockService), behind the same token, in health and reflection. */
  readonly services?: readonly ServedService[];
}

/** A service another way in (locks/) implements, composed by rigd. */
export interface ServedService {
  readonly desc: DescService;
  register(router: ConnectRouter): void;
}

/** Builds rigd's request handler over a backend. */
export function createApiHandler(backend: EnvironmentBackend, logger: Logger, options: ApiOptions = {}): ApiHandler {
  const { auth } = options;
  const extra = options.services ?? [];
  const health = new HealthStatus([...HEALTH_SERVICE_NAMES, ...extra.map((s) => s.desc.typeName)]);
  const readMaxBytes = options.readMaxBytes ?? DEFAULT_READ_MAX_BYTES;
  const router = createConnectRouter({
    ...(auth ? { requestGate: tokenGate(auth.token, auth.tokenFile) } : {}),
    // Bigger requests are refused (RESOURCE_EXHAUSTED) before they are parsed.
    readMaxBytes,
    // A misspelt field ("proces") must be an error naming it, not silently dropped.
    jsonOptions: { ignoreUnknownFields: false },
    acceptCompression: [compressionGzip, compressionBrotli],
  } satisfies ConnectRouterOptions);
  router.service(EnvironmentService, createEnvironmentService(backend, logger, auth?.token));
  router.service(Health, createHealthService(health));
  for (const service of extra) service.register(router);
  addReflectionServices(router, [EnvironmentService, Health, ...extra.map((s) => s.desc)]);
  return { handler: withContentTypeCheck(nodeHandler(router, readMaxBytes, logger)), health };
}

/** Connect's own limit when none is given (4 GiB is its default; rigd always sets one). */
const DEFAULT_READ_MAX_BYTES = 16 * 1024 * 1024;

/**
 * The router as a Node request handler: what connect-node's adapter does, plus binary
 * request messages checked before Connect parses them (checked-request-body.ts), so bad
 * bytes are INVALID_ARGUMENT rather than INTERNAL.
 */
function nodeHandler(router: ConnectRouter, readMaxBytes: number, logger: Logger): RequestHandler {
  const paths = new Map(router.handlers.map((h) => [h.requestPath, h]));
  return (req, res) => {
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      res.statusCode = 404;
      res.end();
      return;
    }
    const request = checkedRequest(universalRequestFromNodeRequest(req, res, undefined, undefined), handler.method, readMaxBytes);
    handler(request)
      .then((response) => universalResponseToNodeResponse(response, res))
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        logger.error({ err: reason, rpc: `${handler.service.typeName}/${handler.method.name}` }, "handler failed");
      });
  };
}

/** Content types Connect serves: gRPC, gRPC-Web, and Connect (binary and JSON, unary and streams). */
const SERVED_TYPES = /^application\/(grpc(-web(-text)?)?(\+(proto|json))?|proto|json|connect\+(proto|json))(;|$)/i;

/**
 * A POST with a content type no protocol here speaks gets 415 with a body that says what
 * would work (Connect alone answers with an empty body).
 */
function withContentTypeCheck(handler: RequestHandler): RequestHandler {
  return (req, res) => {
    const type = req.headers["content-type"] ?? "";
    if (req.method === "POST" && !SERVED_TYPES.test(type)) {
      res.statusCode = 415;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end(
        `rigd does not speak content type "${type.slice(0, 100)}": use gRPC (application/grpc), gRPC-Web ` +
          "(application/grpc-web+proto) or Connect (application/json, application/proto, application/connect+json)\n",
      );
      return;
    }
    handler(req, res);
  };
}
