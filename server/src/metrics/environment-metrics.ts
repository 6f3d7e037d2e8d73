/**
 * rig's own metrics, derived from the event logs of the environments rigd runs (not
 * from hooks in the orchestrator or the proxy): environments live and created, seconds
 * to environment.up, service start seconds by type, proxied calls by protocol and status,
 * pool leases, and how environments went down. Each environment's log is read on from
 * where the last read stopped, at every scrape and every SYNC_MS (so an environment
 * forgotten after its retention is still counted).
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { Code } from "@connectrpc/connect";
import { DownReason, type Event } from "../gen/rig/v1/event_pb.js";

/** What the metrics read from rigd's environment backend. */
export interface EnvironmentSource {
  readonly liveCount: number;
  /** The events of an environment after `afterSeq`, as a stream; throws once it is forgotten. */
  log(id: string, signal: AbortSignal | undefined, afterSeq: bigint): AsyncIterable<Event>;
}

/** Service types whose ready service is a lease of a pooled server. */
const POOLED_TYPES = new Set(["postgres", "redis"]);
const SYNC_MS = 10_000;

interface Tracked {
  read: number;
  createdMs: number | undefined;
  types: Map<string, string>;
  firstSeenMs: Map<string, number>;
}

export class EnvironmentMetrics {
  readonly #tracked = new Map<string, Tracked>();
  readonly #timer: NodeJS.Timeout;
  #syncing: Promise<void> | undefined;
  readonly #created: Counter;
  readonly #up: Histogram;
  readonly #serviceStart: Histogram;
  readonly #proxyCalls: Counter;
  readonly #leases: Counter;
  readonly #down: Counter;

  constructor(
    registry: Registry,
    private readonly source: EnvironmentSource,
  ) {
    new Gauge({
      name: "rig_environments_live",
      help: "Environments not yet down",
      registers: [registry],
      collect() {
        this.set(source.liveCount);
      },
    });
    this.#created = new Counter({ name: "rig_environments_created_total", help: "Environments created", registers: [registry] });
    this.#up = new Histogram({
      name: "rig_environment_up_seconds",
      help: "Seconds from environment.created to environment.up",
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [registry],
    });
    this.#serviceStart = new Histogram({
      name: "rig_service_start_seconds",
      help: "Seconds from a service's first lifecycle event to service.ready, by service type",
      labelNames: ["type"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.#proxyCalls = new Counter({
      name: "rig_proxy_calls_total",
      help: "Calls through recording proxies, by protocol (http, grpc) and status (HTTP status or gRPC code)",
      labelNames: ["protocol", "status"],
      registers: [registry],
    });
    this.#leases = new Counter({ name: "rig_pool_leases_total", help: "Leases of pooled servers (a ready postgres or redis service)", labelNames: ["pool"], registers: [registry] });
    this.#down = new Counter({ name: "rig_environments_down_total", help: "Environments down, by reason", labelNames: ["reason"], registers: [registry] });
    this.#timer = setInterval(() => void this.sync(), SYNC_MS).unref();
  }

  /** An environment was created: follow its log. */
  created(id: string): void {
    this.#tracked.set(id, { read: 0, createdMs: undefined, types: new Map(), firstSeenMs: new Map() });
    this.#created.inc();
  }

  /** Reads every followed log on from where it stopped (one read at a time). */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => (this.#syncing = undefined));
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    for (const [id, tracked] of [...this.#tracked]) {
      try {
        // Only what came since the last read (a log's seq counts its events from 1).
        for await (const event of this.source.log(id, undefined, BigInt(tracked.read))) {
          tracked.read++;
          if (this.#observe(tracked, event)) {
            this.#tracked.delete(id);
            break;
          }
        }
      } catch {
        this.#tracked.delete(id); // forgotten after its retention, or its log removed
      }
    }
  }

  /** Counts one event; true at environment.down (nothing follows). */
  #observe(tracked: Tracked, event: Event): boolean {
    const at = event.time ? timestampMs(event.time) : Date.now();
    if (event.service && !tracked.firstSeenMs.has(event.service)) tracked.firstSeenMs.set(event.service, at);
    const { payload } = event;
    switch (payload.case) {
      case "environmentCreated":
        tracked.createdMs = at;
        for (const s of payload.value.services) tracked.types.set(s.name, s.type);
        break;
      case "environmentUp":
        if (tracked.createdMs !== undefined) this.#up.observe((at - tracked.createdMs) / 1000);
        break;
      case "serviceReady": {
        const type = tracked.types.get(event.service) ?? "unknown";
        this.#serviceStart.observe({ type }, (at - (tracked.firstSeenMs.get(event.service) ?? at)) / 1000);
        if (POOLED_TYPES.has(type)) this.#leases.inc({ pool: type });
        break;
      }
      case "requestCompleted":
        this.#proxyCalls.inc({ protocol: "http", status: payload.value.error ? "error" : String(payload.value.status) });
        break;
      case "grpcCallCompleted":
        this.#proxyCalls.inc({ protocol: "grpc", status: (Code[payload.value.statusCode] as string | undefined)?.toLowerCase() ?? String(payload.value.statusCode) });
        break;
      case "environmentDown":
        this.#down.inc({ reason: (DownReason[payload.value.reason] ?? "unspecified").toLowerCase() });
        return true;
    }
    return false;
  }

  /** Stops the periodic read. */
  stop(): void {
    clearInterval(this.#timer);
  }
}
