/**
 * How a pooled server runs: as a Docker container or as host processes. The pools key
 * their backends by runtime (`docker:<image>`, `host:postgres-15`); `RuntimeChooser`
 * resolves the `auto` runtime (Docker when an engine answers, else host), pinging the
 * engine at most once per `ttlMs` so a burst of environments pays for one ping.
 */
import type Docker from "dockerode";
import type { Logger } from "pino";
import type { PortAllocator } from "../ports/port-allocator.js";
import type { ProcessRecorder } from "./host-process.js";

/** How a pooled server runs. */
export type ServerRuntime = "docker" | "host";

/** What a service asks for: a runtime, or `auto`. */
export type RequestedRuntime = ServerRuntime | "auto";

/** What the host runtime of every pool needs from rigd. */
export interface HostServerOptions {
  /** RIG_DIR: server dirs live in RIG_DIR/pools (or a temp dir, when rigd is root) and are recorded in RIG_DIR/run/pools. */
  readonly rigDir: string;
  /** rigd's pid records, so the next rigd kills servers left by one killed with SIGKILL. */
  readonly records: ProcessRecorder;
  /** Ports for the servers (a range of their own, apart from the services'). */
  readonly ports: PortAllocator;
  /** How long a server gets to become ready. Default 60 s. */
  readonly startTimeoutMs?: number;
  readonly log?: Logger;
}

/** The pool key of a server: runtime and what it runs. */
export function poolKey(runtime: ServerRuntime, what: string): string {
  return `${runtime}:${what}`;
}

/** The runtime and the rest of a pool key. */
export function parsePoolKey(key: string): { runtime: ServerRuntime; what: string } {
  const colon = key.indexOf(":");
  const runtime = key.slice(0, colon);
  if (runtime !== "docker" && runtime !== "host") throw new Error(`pool key ${JSON.stringify(key)} names no runtime`);
  return { runtime, what: key.slice(colon + 1) };
}

/** Picks the runtime of `auto` requests: Docker when the engine answers a ping (cached briefly). */
export class RuntimeChooser {
  private cached: { at: number; answer: Promise<ServerRuntime> } | undefined;

  constructor(
    private readonly docker: Docker,
    private readonly ttlMs = 2_000,
    private readonly pingTimeoutMs = 1_000,
  ) {}

  /** `requested` itself, or for `auto` whether a Docker engine answers now. */
  choose(requested: RequestedRuntime): Promise<ServerRuntime> {
    if (requested !== "auto") return Promise.resolve(requested);
    const now = Date.now();
    if (!this.cached || now - this.cached.at > this.ttlMs) this.cached = { at: now, answer: this.ping() };
    return this.cached.answer;
  }

  private async ping(): Promise<ServerRuntime> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), this.pingTimeoutMs);
      timer.unref();
    });
    const pinged = this.docker.ping().then(
      () => true,
      () => false,
    );
    const up = await Promise.race([pinged, timeout]);
    clearTimeout(timer);
    return up ? "docker" : "host";
  }
}

/** Ports of host servers: below the range services get theirs from (ports/port-allocator.ts), so the two never collide. */
export const HOST_SERVER_PORTS: [number, number] = [10000, 14999];

/** A pool's `runtimeOf`: the Docker runtime for `docker:<image>` keys, the host runtime for `host:...` keys. */
export function runtimeByKey<R>(docker: (image: string) => R, host: () => R): (key: string) => R {
  return (key) => {
    const { runtime, what } = parsePoolKey(key);
    return runtime === "docker" ? docker(what) : host();
  };
}
