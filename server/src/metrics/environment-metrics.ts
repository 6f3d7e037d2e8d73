/**
 * rig's own metrics, derived from the event logs of the environments rigd runs (not
 * from hooks in the orchestrator or the proxy): environments live and created, seconds
 * to environment.up, service start seconds by type, proxied calls by protocol and status,
 * pool leases, and how environments went down.
 *
 * Each environment's events are observed as they are appended (from its creation to
 * environment.down), so an environment forgotten after its retention is still counted
 * and traffic that left memory is never read back from disk. Proxied calls, one event
 * per request, are counted into plain maps and handed to prom-client at collect time;
 * the rare lifecycle events update prom-client's metrics (lazy-registry.ts).
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import { DownReason, type Event } from "../gen/rig/v1/event_pb.js";
import type { LazyRegistry, MetricsUpdate, Prom } from "./lazy-registry.js";

/** What the metrics read from rigd's environment backend. */
export interface EnvironmentSource {
  readonly liveCount: number;
  /** Calls `observer` with an environment's events so far and each one appended; throws once it is forgotten. */
  observe(id: string, observer: (event: Event) => void): void;
}

/** Service types whose ready service is a lease of a pooled server. */
const POOLED_TYPES = new Set(["postgres", "redis"]);

interface Tracked {
  createdMs: number | undefined;
  readonly types: Map<string, string>;
  readonly firstSeenMs: Map<string, number>;
}

/** The prom-client metrics the lifecycle events update. */
interface LifecycleMetrics {
  readonly created: PromCounter;
  readonly up: PromHistogram;
  readonly serviceStart: PromHistogram;
  readonly leases: PromCounter;
  readonly down: PromCounter;
}
type PromCounter = InstanceType<Prom["Counter"]>;
type PromHistogram = InstanceType<Prom["Histogram"]>;

export class EnvironmentMetrics {
  readonly #update: MetricsUpdate<LifecycleMetrics>;
  /** Proxied HTTP requests by status ("error": no response), and gRPC calls by code. */
  readonly #httpCalls = new Map<number | "error", number>();
  readonly #grpcCalls = new Map<number, number>();

  constructor(
    registry: LazyRegistry,
    private readonly source: EnvironmentSource,
  ) {
    this.#update = registry.add((prom, registers) => {
      const registersTo = [registers];
      new prom.Gauge({
        name: "rig_environments_live",
        help: "Environments not yet down",
        registers: registersTo,
        collect() {
          this.set(source.liveCount);
        },
      });
      const httpCalls = this.#httpCalls;
      const grpcCalls = this.#grpcCalls;
      new prom.Counter({
        name: "rig_proxy_calls_total",
        help: "Calls through recording proxies, by protocol (http, grpc) and status (HTTP status or gRPC code)",
        labelNames: ["protocol", "status"],
        registers: registersTo,
        collect() {
          this.reset();
          for (const [status, n] of httpCalls) this.inc({ protocol: "http", status: String(status) }, n);
          for (const [code, n] of grpcCalls) this.inc({ protocol: "grpc", status: (Code[code] as string | undefined)?.toLowerCase() ?? String(code) }, n);
        },
      });
      return {
        created: new prom.Counter({ name: "rig_environments_created_total", help: "Environments created", registers: registersTo }),
        up: new prom.Histogram({
          name: "rig_environment_up_seconds",
          help: "Seconds from environment.created to environment.up",
          buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
          registers: registersTo,
        }),
        serviceStart: new prom.Histogram({
          name: "rig_service_start_seconds",
          help: "Seconds from a service's first lifecycle event to service.ready, by service type",
          labelNames: ["type"],
          buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers: registersTo,
        }),
        leases: new prom.Counter({ name: "rig_pool_leases_total", help: "Leases of pooled servers (a ready postgres or redis service)", labelNames: ["pool"], registers: registersTo }),
        down: new prom.Counter({ name: "rig_environments_down_total", help: "Environments down, by reason", labelNames: ["reason"], registers: registersTo }),
      };
    });
  }

  /** An environment was created: count it and observe its events. */
  created(id: string): void {
    this.#update((m) => m.created.inc());
    const tracked: Tracked = { createdMs: undefined, types: new Map(), firstSeenMs: new Map() };
    try {
      this.source.observe(id, (event) => this.#observe(tracked, event));
    } catch {
      // already forgotten: nothing more to count
    }
  }

  /** Counts one event (on the path of every proxied request: traffic first, and cheap). */
  #observe(tracked: Tracked, event: Event): void {
    const { payload } = event;
    switch (payload.case) {
      case "requestCompleted": {
        const status = payload.value.error ? "error" : payload.value.status;
        this.#httpCalls.set(status, (this.#httpCalls.get(status) ?? 0) + 1);
        return;
      }
      case "grpcCallCompleted": {
        const code = payload.value.statusCode;
        this.#grpcCalls.set(code, (this.#grpcCalls.get(code) ?? 0) + 1);
        return;
      }
      case "connectionOpened":
      case "connectionClosed":
        return;
    }
    const at = event.time ? timestampMs(event.time) : Date.now();
    if (event.service && !tracked.firstSeenMs.has(event.service)) tracked.firstSeenMs.set(event.service, at);
    switch (payload.case) {
      case "environmentCreated":
        tracked.createdMs = at;
        for (const s of payload.value.services) tracked.types.set(s.name, s.type);
        break;
      case "environmentUp": {
        const createdMs = tracked.createdMs;
        if (createdMs !== undefined) this.#update((m) => m.up.observe((at - createdMs) / 1000));
        break;
      }
      case "serviceReady": {
        const type = tracked.types.get(event.service) ?? "unknown";
        const seconds = (at - (tracked.firstSeenMs.get(event.service) ?? at)) / 1000;
        this.#update((m) => {
          m.serviceStart.observe({ type }, seconds);
          if (POOLED_TYPES.has(type)) m.leases.inc({ pool: type });
        });
        break;
      }
      case "environmentDown": {
        const reason = (DownReason[payload.value.reason] ?? "unspecified").toLowerCase();
        this.#update((m) => m.down.inc({ reason }));
        break;
      }
    }
  }
}
