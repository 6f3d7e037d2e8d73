/**
 * Traffic events (SPEC §9) as one record shape for listings, filters and the diagnosis:
 * an HTTP exchange (`request.completed`), a gRPC call (`grpc.call.completed`), a TCP
 * connection (`connection.closed`) or a Kafka produce or fetch (`kafka.produced`,
 * `kafka.fetched`). Calls are numbered from 1 in log order, so a number
 * names the same call whatever filter is used.
 */
import type { ConnectionClosed, Event, GrpcCallCompleted, KafkaFetched, KafkaProduced, RequestCompleted } from "../gen/rig/v1/event_pb.js";
import { grpcStatusName, preciseMs } from "../events/event-text.js";
import { eventMs } from "./run-outcome.js";

/** One observed call or connection. */
export type TrafficEntry =
  | ({ readonly kind: "http"; readonly call: RequestCompleted } & TrafficCommon)
  | ({ readonly kind: "grpc"; readonly call: GrpcCallCompleted } & TrafficCommon)
  | ({ readonly kind: "tcp"; readonly call: ConnectionClosed } & TrafficCommon)
  | ({ readonly kind: "kafka"; readonly op: "produce" | "fetch"; readonly call: KafkaProduced | KafkaFetched } & TrafficCommon);

interface TrafficCommon {
  /** 1-based number of the call in the run. */
  readonly n: number;
  readonly timeMs: number;
  readonly source: string;
  readonly target: string;
  readonly latencyMs: number;
  /** False for HTTP >= 400 or a transport error, gRPC non-OK, a TCP connection that ended in error, a Kafka error. */
  readonly ok: boolean;
}

/** Numbers traffic events as they pass; other events give undefined. */
export class TrafficCounter {
  private n = 0;

  /** The traffic record of `event`, numbered, or undefined when it is not traffic. */
  entry(event: Event): TrafficEntry | undefined {
    const p = event.payload;
    const timeMs = eventMs(event);
    switch (p.case) {
      case "requestCompleted":
        return {
          kind: "http", call: p.value, n: ++this.n, timeMs, source: p.value.source, target: p.value.target,
          latencyMs: preciseMs(p.value.latency), ok: !p.value.error && p.value.status > 0 && p.value.status < 400,
        };
      case "grpcCallCompleted":
        return {
          kind: "grpc", call: p.value, n: ++this.n, timeMs, source: p.value.source, target: p.value.target,
          latencyMs: preciseMs(p.value.latency), ok: p.value.statusCode === 0,
        };
      case "connectionClosed":
        return {
          kind: "tcp", call: p.value, n: ++this.n, timeMs, source: p.value.source, target: p.value.target,
          latencyMs: preciseMs(p.value.duration), ok: !p.value.error,
        };
      case "kafkaProduced":
      case "kafkaFetched":
        return {
          kind: "kafka", op: p.case === "kafkaProduced" ? "produce" : "fetch", call: p.value, n: ++this.n, timeMs,
          source: p.value.source, target: p.value.target, latencyMs: preciseMs(p.value.latency), ok: !p.value.error,
        };
      default:
        return undefined;
    }
  }
}

/** `api`, or `test` for the virtual `~test` node. */
export function nodeName(name: string): string {
  return name === "~test" ? "test" : name;
}

/** The status column: `200`, `NOT_FOUND(5)`, `error`, `closed`. */
export function statusText(entry: TrafficEntry): string {
  switch (entry.kind) {
    case "http":
      return entry.call.error ? "error" : String(entry.call.status);
    case "grpc":
      return entry.call.statusCode === 0 ? "OK" : `${grpcStatusName(entry.call.statusCode)}(${entry.call.statusCode})`;
    case "tcp":
      return entry.call.error ? "error" : "closed";
    case "kafka":
      return entry.call.error ? "error" : "ok";
  }
}

/** A one-line description of what was called. */
export function whatText(entry: TrafficEntry): string {
  switch (entry.kind) {
    case "http":
      return `${entry.call.method} ${entry.call.path}`;
    case "grpc":
      return `gRPC ${entry.call.grpcService}/${entry.call.method}`;
    case "tcp":
      return `TCP ${entry.call.ingress || "default"}`;
    case "kafka":
      return `Kafka ${entry.op} ${[...new Set(entry.call.records.map((r) => r.topic))].join(",")}`.trimEnd();
  }
}

/** The error text of a failed call, if any. */
export function errorText(entry: TrafficEntry): string {
  switch (entry.kind) {
    case "http":
      return entry.call.error;
    case "grpc":
      return entry.call.statusMessage;
    case "tcp":
    case "kafka":
      return entry.call.error;
  }
}
