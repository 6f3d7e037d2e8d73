/**
 * What a follower of an environment's events asks for (WatchEvents' flags), and which
 * payloads are traffic: one per proxied request, call, connection or Kafka batch.
 */
import type { WatchEventsRequest } from "../gen/rig/v1/environment_service_pb.js";
import type { Event } from "../gen/rig/v1/event_pb.js";

export type PayloadCase = Event["payload"]["case"];

/** The payloads recording proxies publish; the event log bounds how many stay in memory. */
export const TRAFFIC: ReadonlySet<PayloadCase> = new Set<PayloadCase>([
  "requestCompleted",
  "grpcCallCompleted",
  "connectionOpened",
  "connectionClosed",
  "kafkaProduced",
  "kafkaFetched",
]);

/**
 * WatchEvents' flags: `includeLogs` adds service.log events (left out by default);
 * `excludeTraffic` leaves out traffic (the SDKs do: they follow lifecycle and callbacks).
 */
export type EventFilter = Pick<WatchEventsRequest, "includeLogs" | "excludeTraffic">;

/** Every event, service output included: what the log's own readers get (GetLog, metrics). */
export const ALL_EVENTS: EventFilter = { includeLogs: true, excludeTraffic: false };

/** Whether a follower with `filter` gets an event with this payload. */
export function wanted(filter: EventFilter, payload: PayloadCase): boolean {
  if (payload === "serviceLog") return filter.includeLogs;
  return !(filter.excludeTraffic && TRAFFIC.has(payload));
}
