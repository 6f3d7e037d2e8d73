/**
 * What one rigd allows, so no environment, however large or hostile its spec, can take
 * rigd (and every other test's environments) down with it. Configurable with
 * `rigd --limit NAME=VALUE`; violations are clear errors naming the limit and the flag.
 */

/** The limits of one rigd. */
export interface Limits {
  /** Services in one environment spec. */
  readonly services: number;
  /** Live environments in this rigd. */
  readonly environments: number;
  /**
   * Live environments of one client (a test process: the SDKs name themselves in the
   * `rig-client` header; clients that do not share one budget), so one runaway test
   * cannot take every environment slot of the rigd other tests share.
   */
  readonly environmentsPerClient: number;
  /** Host processes (process services) running at once across all environments. */
  readonly processes: number;
  /** Host processes being spawned at once (spawning blocks the event loop a little each). */
  readonly spawnConcurrency: number;
  /** Characters of any one string in a spec (an arg, an env value, an attribute, SQL). */
  readonly valueLength: number;
  /** Bytes of one request message. */
  readonly requestBytes: number;
  /** Bytes of output kept per service; the rest is counted and dropped. */
  readonly outputPerService: number;
  /** Bytes of output kept per environment; the rest is counted and dropped. */
  readonly outputPerEnvironment: number;
  /** Bytes of the lock operation log before it is rotated (one older file is kept). */
  readonly lockLogBytes: number;
  /**
   * Bytes of traffic events (their JSON in events.jsonl) an environment keeps in memory;
   * later ones are read back from the file when a stream asks for them.
   */
  readonly trafficInMemory: number;
  /** Finished environments whose summary rigd keeps (their events are on disk). */
  readonly finishedEnvironments: number;
}

export const DEFAULT_LIMITS: Limits = {
  services: 1000,
  environments: 500,
  environmentsPerClient: 200,
  processes: 4000,
  spawnConcurrency: 8,
  valueLength: 256 * 1024,
  requestBytes: 16 * 1024 * 1024,
  outputPerService: 16 * 1024 * 1024,
  outputPerEnvironment: 64 * 1024 * 1024,
  lockLogBytes: 32 * 1024 * 1024,
  trafficInMemory: 8 * 1024 * 1024,
  finishedEnvironments: 1000,
};

/** `--limit` names, kebab-case, to their field. */
export const LIMIT_NAMES: Readonly<Record<string, keyof Limits>> = {
  services: "services",
  environments: "environments",
  "environments-per-client": "environmentsPerClient",
  processes: "processes",
  "spawn-concurrency": "spawnConcurrency",
  "value-length": "valueLength",
  "request-bytes": "requestBytes",
  "output-per-service": "outputPerService",
  "output-per-environment": "outputPerEnvironment",
  "lock-log-bytes": "lockLogBytes",
  "traffic-in-memory": "trafficInMemory",
  "finished-environments": "finishedEnvironments",
};

/** The flag that raises a limit, for messages. */
export function limitFlag(field: keyof Limits): string {
  const name = Object.entries(LIMIT_NAMES).find(([, f]) => f === field)?.[0] ?? field;
  return `rigd --limit ${name}=N`;
}

/** A request went over one of rigd's limits (RESOURCE_EXHAUSTED). */
export class LimitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LimitError";
  }
}

/** At most `max` characters of `value` for a message, with how long it really was. */
export function quote(value: string, max = 80): string {
  return value.length <= max ? `"${value}"` : `"${value.slice(0, max)}…" (${value.length} characters)`;
}
