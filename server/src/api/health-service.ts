/**
 * grpc.health.v1.Health for rigd, so SDKs and grpc tooling can probe it. Statuses live
 * in a small HealthStatus table that rigd flips to NOT_SERVING while shutting down.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";

/** The serving status of each named service ("" is the server as a whole). */
export class HealthStatus {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #listeners = new Set<() => void>();

  /** Starts with every given name SERVING. */
  constructor(services: readonly string[]) {
    for (const name of services) this.#statuses.set(name, ServingStatus.SERVING);
  }

  /** Status of one service, or undefined when it is not known. */
  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  /** Every known service with its status. */
  entries(): [string, ServingStatus][] {
    return [...this.#statuses];
  }

  /** Sets every known service to one status (e.g. NOT_SERVING on shutdown). */
  setAll(status: ServingStatus): void {
    for (const name of this.#statuses.keys()) this.#statuses.set(name, status);
    for (const listener of this.#listeners) listener();
  }

  /** Calls listener after every change until the returned function is called. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** Builds the grpc.health.v1.Health implementation over a status table. */
export function createHealthService(status: HealthStatus): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const current = status.get(req.service);
      if (current === undefined) {
        throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      }
      return { status: current };
    },

    list() {
      const statuses: Record<string, { status: ServingStatus }> = {};
      for (const [name, s] of status.entries()) statuses[name] = { status: s };
      return { statuses };
    },

    // Per the health protocol: send the current status at once, then each change,
    // and keep the stream open (SERVICE_UNKNOWN for names we do not serve).
    async *watch(req, ctx) {
      let wake: (() => void) | undefined;
      const unsubscribe = status.onChange(() => wake?.());
      const onAbort = (): void => wake?.();
      ctx.signal.addEventListener("abort", onAbort);
      try {
        let last: ServingStatus | undefined;
        while (!ctx.signal.aborted) {
          const current = status.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
          const changed = new Promise<void>((resolve) => (wake = resolve));
          if (current !== last) {
            last = current;
            yield { status: current };
          }
          await changed;
        }
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener("abort", onAbort);
      }
    },
  };
}
