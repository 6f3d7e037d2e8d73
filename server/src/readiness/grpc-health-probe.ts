/**
 * Readiness by `grpc.health.v1.Health/Check` (SPEC §4, protocol `grpc`): ready when
 * the server reports SERVING for the configured service name.
 *
 * A server that does not implement the health service answers UNIMPLEMENTED. That
 * answer already proves the server is up, so the attempt counts as ready, and the
 * probe remembers it: later attempts of the same probe only dial TCP.
 *
 * Every attempt dials TCP first (a refused dial costs a sixth of a refused health check),
 * then owns its HTTP/2 session over that connection and aborts it when the attempt ends,
 * so a finished probe leaves no session, socket or keep-alive timer behind.
 */
import { connect, type Socket } from "node:net";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { Http2SessionManager, createGrpcTransport } from "@connectrpc/connect-node";
import {
  Health,
  HealthCheckRequestSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";
import type { ReadinessProbe } from "../contract/service-type.js";
import { DEFAULT_ATTEMPT_TIMEOUT_MS, describeFailure, withAttemptDeadline } from "./attempt-deadline.js";
import { dialSocket, tcpProbe, type AttemptOptions, type ProbeTarget } from "./tcp-probe.js";

/** Options of the gRPC health probe. */
export interface GrpcHealthProbeOptions extends AttemptOptions {
  /** Service name sent in HealthCheckRequest; "" (default) asks about the whole server. */
  readonly service?: string;
}

/** A probe that is ready when Health/Check answers SERVING (or the server has no health service). */
export function grpcHealthProbe(target: ProbeTarget, options: GrpcHealthProbeOptions = {}): ReadinessProbe {
  const service = options.service ?? "";
  const timeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
  const baseUrl = `http://${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  const label = service === "" ? "Health/Check" : `Health/Check(${JSON.stringify(service)})`;
  // Set once the server answered UNIMPLEMENTED: it has no health service, dial TCP from then on.
  let fallback: ReadinessProbe | undefined;

  return async (signal) => {
    if (fallback) return fallback(signal);
    return withAttemptDeadline(signal, timeoutMs, async (attempt) => {
      // Dialled first: a refused dial is all an attempt costs while the server does not
      // listen yet. The session then runs over this connection (a second connect of the
      // session, should it make one, dials afresh).
      let dialled: Socket | undefined;
      try {
        dialled = await dialSocket(target, attempt);
      } catch (err) {
        return { ready: false, detail: `${label} -> ${describeFailure(err, attempt)}` };
      }
      const createConnection = (): Socket => {
        const socket = dialled ?? connect({ host: target.host, port: target.port });
        dialled = undefined;
        return socket;
      };
      // gRPC transports always speak HTTP/2; owning the session manager lets us close it.
      const sessionManager = new Http2SessionManager(baseUrl, undefined, { createConnection });
      try {
        const client = createClient(Health, createGrpcTransport({ baseUrl, sessionManager }));
        const response = await client.check(create(HealthCheckRequestSchema, { service }), { signal: attempt });
        if (response.status === ServingStatus.SERVING) return { ready: true };
        return { ready: false, detail: `${label} -> ${ServingStatus[response.status] ?? response.status}` };
      } catch (err) {
        if (err instanceof ConnectError && err.code === Code.Unimplemented) {
          fallback = tcpProbe(target, { attemptTimeoutMs: timeoutMs });
          return { ready: true, detail: `${label} unimplemented; falling back to a TCP dial` };
        }
        return { ready: false, detail: `${label} -> ${describeGrpcFailure(err, attempt)}` };
      } finally {
        sessionManager.abort();
        dialled?.destroy();
      }
    });
  };
}

function describeGrpcFailure(err: unknown, signal: AbortSignal): string {
  if (signal.aborted) return describeFailure(err, signal);
  if (err instanceof ConnectError) return `${Code[err.code]}: ${err.rawMessage}`;
  return describeFailure(err, signal);
}
