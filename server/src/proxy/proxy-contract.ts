/**
 * What every proxy core (HTTP, gRPC, TCP) takes and returns. The cores know nothing
 * about environments or service types: they listen on a port, forward to one target
 * and hand each observation to `onEvent`. `services/proxy.ts` adapts them to rigd.
 */
import type { Event } from "../gen/rig/v1/event_pb.js";

/** The edge a proxy sits on; every event it publishes names it. */
export interface ProxyEdge {
  readonly source: string;
  readonly target: string;
  readonly ingress: string;
}

/** The real endpoint a proxy forwards to. */
export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** A traffic observation: the Event payload cases a proxy publishes. */
export type ProxyEvent = Extract<
  Event["payload"],
  { case: "requestCompleted" | "grpcCallCompleted" | "connectionOpened" | "connectionClosed" | "kafkaProduced" | "kafkaFetched" }
>;

/** Options shared by every proxy core. */
export interface ProxyOptions {
  /** Default 127.0.0.1. */
  readonly listenHost?: string;
  /** 0 picks a free port. */
  readonly listenPort: number;
  readonly target: ProxyTarget;
  readonly edge: ProxyEdge;
  /** Receives each observation; must not throw (a throwing sink is ignored). */
  readonly onEvent: (event: ProxyEvent) => void;
  /** Aborting closes the proxy, like close(). */
  readonly signal?: AbortSignal;
}

/** A listening proxy. */
export interface RunningProxy {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and destroys every open connection; resolves once closed. */
  close(): Promise<void>;
}

/** Wraps an event sink so a throwing sink cannot break forwarding. */
export function safeSink<T>(sink: (event: T) => void): (event: T) => void {
  return (event) => {
    try {
      sink(event);
    } catch {
      // the sink's owner is gone (e.g. the environment's log closed); traffic goes on
    }
  };
}
