/**
 * Translates orchestrator errors (orchestrator/errors.ts) into Connect status codes.
 * This is the only place that knows both vocabularies; a caller's mistake never
 * becomes INTERNAL (SPEC §3).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "pino";
import { SpecProblemsSchema } from "../gen/rig/v1/environment_service_pb.js";
import {
  BadRequestError,
  EnvironmentNotFoundError,
  SpecInvalidError,
  StateError,
} from "../contract/errors.js";
import { LimitError } from "../contract/limits.js";

/**
 * Maps any thrown value to the ConnectError a client should see. Unexpected errors are
 * logged (with their stack) and reported as INTERNAL without leaking internals.
 */
export function toConnectError(err: unknown, logger: Logger, rpc: string): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof SpecInvalidError) {
    // Every problem goes into the message (for humans and grpcurl) and into a typed
    // rig.v1.SpecProblems detail (for SDKs that want to point at the offending field).
    const problems = err.problems.map((p) => ({ path: p.path, message: p.message }));
    return new ConnectError(err.message, Code.InvalidArgument, undefined, [
      { desc: SpecProblemsSchema, value: { problems } },
    ]);
  }
  if (err instanceof EnvironmentNotFoundError) return new ConnectError(err.message, Code.NotFound);
  if (err instanceof StateError) return new ConnectError(err.message, Code.FailedPrecondition);
  if (err instanceof BadRequestError) return new ConnectError(err.message, Code.InvalidArgument);
  if (err instanceof LimitError) return new ConnectError(err.message, Code.ResourceExhausted);
  if (isAbort(err)) return new ConnectError("call cancelled", Code.Canceled);
  logger.error({ err, rpc }, "internal error");
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(`internal error: ${message}`, Code.Internal, undefined, undefined, err);
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}
