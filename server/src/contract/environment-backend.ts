/**
 * What the API layer needs from the orchestrator. The Connect handlers translate
 * requests into these calls and orchestrator errors (orchestrator/errors.ts) into
 * status codes; the orchestrator knows nothing about Connect.
 */
import type { Event } from "../gen/rig/v1/event_pb.js";
import type {
  DestroyEnvironmentRequest,
  DestroyEnvironmentResponse,
  Environment,
  PostEventRequest,
  WatchEventsRequest,
} from "../gen/rig/v1/environment_service_pb.js";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import type { ServiceControl } from "./service-control.js";

export interface EnvironmentBackend extends ServiceControl {
  /**
   * Validates and starts orchestration; throws SpecInvalidError listing every problem.
   * `client` names the test process asking (the `rig-client` header), for its limit.
   */
  create(spec: EnvironmentSpec, client?: string): Promise<{ id: string; envDir: string }>;
  /**
   * Replays events with seq > afterSeq, then follows live; ends after environment.down
   * or when the signal aborts. Counts as a watcher for the orphan timer while iterated.
   */
  watch(id: string, afterSeq: bigint, filter: Pick<WatchEventsRequest, "includeLogs" | "excludeTraffic">, signal: AbortSignal): AsyncIterable<Event>;
  /** Current state; throws EnvironmentNotFoundError. */
  get(id: string): Environment;
  /** Every environment that is not down. */
  list(): Environment[];
  /**
   * Every event so far (those after `afterSeq`, when given), service output included, as
   * a stream (a finished environment's come from its file). Throws
   * EnvironmentNotFoundError at the call, not at iteration.
   */
  log(id: string, signal?: AbortSignal, afterSeq?: bigint): AsyncIterable<Event>;
  /**
   * Calls `observer` with every event of a live environment so far and then with each one
   * as it is appended, synchronously, until environment.down (rigd's metrics count with
   * it). The observer must be cheap and must not throw. Throws EnvironmentNotFoundError
   * once the environment is finalized.
   */
  observe(id: string, observer: (event: Event) => void): void;
  /** Applies a client-to-server event; returns the seq of the last appended event. */
  post(request: PostEventRequest): Promise<bigint>;
  /** Tears down (idempotent) and returns the dirs and log paths. */
  destroy(request: DestroyEnvironmentRequest): Promise<DestroyEnvironmentResponse>;
  /** Environments not yet down (for idle exit). */
  readonly liveCount: number;
  /** Destroys everything (rigd shutdown). */
  shutdown(): Promise<void>;
}
