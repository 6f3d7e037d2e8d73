/**
 * The rig.v1.EnvironmentService handlers: request validation that needs no orchestrator
 * knowledge (a present environment_id, a present spec), delegation to the
 * EnvironmentBackend, and error translation. No orchestration logic lives here.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import { scrubSpec } from "../auth/scrub-token.js";
import { EnvironmentService, type GetLogResponse, type WatchEventsResponse } from "../gen/rig/v1/environment_service_pb.js";
import type { Event } from "../gen/rig/v1/event_pb.js";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import { toConnectError } from "./connect-errors.js";
import { DiagnosisBuilder, type Diagnosis } from "../diagnosis/diagnosis.js";
import { diagnosisText } from "../diagnosis/diagnosis-text.js";
import { serviceControlHandlers } from "./service-control-handlers.js";

/**
 * Builds the EnvironmentService implementation over a backend (the orchestrator). With
 * `token`, specs are scrubbed of RIG_TOKEN and of the token value before the backend
 * sees them, so no service inherits them.
 */
export function createEnvironmentService(
  backend: EnvironmentBackend,
  logger: Logger,
  token?: string,
): ServiceImpl<typeof EnvironmentService> {
  const log = logger.child({ component: "api" });

  /** Runs one unary call, translating whatever it throws. */
  async function unary<T>(ctx: HandlerContext, body: () => T | Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      throw toConnectError(err, log, ctx.method.name);
    }
  }

  /** What `rig explain` says of an environment, from its log so far. */
  async function diagnose(id: string): Promise<Diagnosis> {
    const builder = new DiagnosisBuilder();
    for await (const event of backend.log(id)) builder.add(event);
    return builder.result();
  }

  return {
    ...serviceControlHandlers(backend, unary),

    createEnvironment(req, ctx) {
      return unary(ctx, async () => {
        if (!req.spec) throw new ConnectError("spec is required", Code.InvalidArgument);
        const scrubbed = token ? scrubSpec(req.spec, token) : [];
        if (scrubbed.length) log.info({ rpc: ctx.method.name, scrubbed }, "removed rigd's token from the spec's environment");
        const { id, envDir } = await backend.create(req.spec, clientOf(ctx));
        log.info({ env: id, rpc: ctx.method.name }, "environment created");
        return { environmentId: id, envDir };
      });
    },

    async *watchEvents(req, ctx) {
      const id = requireEnvironmentId(req.environmentId);
      try {
        for await (const event of backend.watch(id, req.afterSeq, req, ctx.signal)) {
          if (ctx.signal.aborted) return;
          yield response(event);
        }
      } catch (err) {
        // A client that went away is not an error worth reporting.
        if (ctx.signal.aborted) return;
        throw toConnectError(err, log, ctx.method.name);
      }
    },

    getEnvironment(req, ctx) {
      return unary(ctx, () => {
        const environment = backend.get(requireEnvironmentId(req.environmentId));
        return { environment };
      });
    },

    listEnvironments(_req, ctx) {
      return unary(ctx, () => ({ environments: backend.list() }));
    },

    async *getLog(req, ctx) {
      const id = requireEnvironmentId(req.environmentId);
      try {
        for await (const event of backend.log(id, ctx.signal)) {
          if (ctx.signal.aborted) return;
          yield logResponse(event);
        }
      } catch (err) {
        if (ctx.signal.aborted) return;
        throw toConnectError(err, log, ctx.method.name);
      }
    },

    explainEnvironment(req, ctx) {
      return unary(ctx, async () => {
        const diagnosis = await diagnose(requireEnvironmentId(req.environmentId));
        return { text: diagnosisText(diagnosis).join("\n"), json: JSON.stringify(diagnosis, null, 2) };
      });
    },

    postEvent(req, ctx) {
      return unary(ctx, async () => {
        requireEnvironmentId(req.environmentId);
        if (req.event.case === undefined) {
          throw new ConnectError("event is required (one of callback_response, service_error, service_logs, test_note)", Code.InvalidArgument);
        }
        return { seq: await backend.post(req) };
      });
    },

    destroyEnvironment(req, ctx) {
      return unary(ctx, async () => {
        requireEnvironmentId(req.environmentId);
        const response = await backend.destroy(req);
        log.info({ env: req.environmentId, rpc: ctx.method.name, testFailed: req.testFailed }, "environment destroyed");
        return response;
      });
    },
  };
}

/**
 * The test process asking, as the SDKs name themselves in the `rig-client` header
 * ("ts pid 4242"); "" for clients that do not. Used for the per-client limit only.
 */
function clientOf(ctx: HandlerContext): string {
  return (ctx.requestHeader.get("rig-client") ?? "").slice(0, 100);
}

/**
 * The stream messages as typed literals: Connect passes a message of the right type
 * through as it is, and would otherwise build one by reflection for every event.
 */
function response(event: Event): WatchEventsResponse {
  return { $typeName: "rig.v1.WatchEventsResponse", event };
}

function logResponse(event: Event): GetLogResponse {
  return { $typeName: "rig.v1.GetLogResponse", event };
}

/** Rejects an empty environment_id before it reaches the backend. */
function requireEnvironmentId(id: string): string {
  if (id.trim() === "") throw new ConnectError("environment_id is required", Code.InvalidArgument);
  return id;
}
