/**
 * Dotted event type names (`service.ready`) for each payload case (`serviceReady`).
 * The dotted form is what SPEC §4 documents and what users grep logs for.
 */
import type { Event } from "../gen/rig/v1/event_pb.js";

type PayloadCase = NonNullable<Event["payload"]["case"]>;

const NAMES: Record<PayloadCase, string> = {
  environmentCreated: "environment.created",
  artifactStarted: "artifact.started",
  artifactCompleted: "artifact.completed",
  artifactCached: "artifact.cached",
  artifactFailed: "artifact.failed",
  artifactProgress: "artifact.progress",
  ingressPublished: "ingress.published",
  wiringResolved: "wiring.resolved",
  servicePrestart: "service.prestart",
  serviceStarting: "service.starting",
  serviceHealthy: "service.healthy",
  serviceInit: "service.init",
  serviceReady: "service.ready",
  serviceFailed: "service.failed",
  serviceStopping: "service.stopping",
  serviceStopped: "service.stopped",
  serviceLog: "service.log",
  serviceError: "service.error",
  environmentUp: "environment.up",
  environmentFailing: "environment.failing",
  environmentDown: "environment.down",
  progressStall: "progress.stall",
  environmentDestroying: "environment.destroying",
  callbackRequest: "callback.request",
  callbackResponse: "callback.response",
  testNote: "test.note",
  requestCompleted: "request.completed",
  grpcCallCompleted: "grpc.call.completed",
  connectionOpened: "connection.opened",
  connectionClosed: "connection.closed",
  kafkaProduced: "kafka.produced",
  kafkaFetched: "kafka.fetched",
};

/** The dotted name of a payload case; "" for an empty payload. */
export function eventTypeName(payloadCase: Event["payload"]["case"]): string {
  return payloadCase === undefined ? "" : NAMES[payloadCase];
}
