/**
 * Everything rigd serves at `/metrics`, in one prom-client registry of its own (never the
 * global one, so two rigds in one process, as in tests, do not mix): the suite metrics,
 * rig's environment, proxy, pool and lock metrics, and Node's process metrics prefixed
 * `rigd_`. The registry is built at the first scrape (lazy-registry.ts); what happens
 * before it is counted all the same.
 */
import type { SuiteHook } from "../contract/suite-hooks.js";
import { EnvironmentMetrics, type EnvironmentSource } from "./environment-metrics.js";
import { LazyRegistry, type Scrape } from "./lazy-registry.js";
import { LockMetrics } from "./lock-metrics.js";
import { suiteMetrics } from "./suite-metrics.js";

/** The metrics of one rigd. */
export interface RigdMetrics {
  /** The suite hook that keeps the suite metrics. */
  readonly suiteHook: SuiteHook;
  /** Tells the metrics an environment was created (they observe its events). */
  environmentCreated(id: string): void;
  /** Every metric in the Prometheus text format. */
  scrape(): Promise<Scrape>;
}

/** Builds the metrics over rigd's environments and its lock operation log. */
export function createRigdMetrics(environments: EnvironmentSource, lockLogFile: string): RigdMetrics {
  const registry = new LazyRegistry();
  const envMetrics = new EnvironmentMetrics(registry, environments);
  new LockMetrics(registry, lockLogFile);
  const suiteHook = suiteMetrics(registry);
  // Process metrics: memory and handles are read at collect; GC and event-loop lag count
  // from the first scrape on.
  registry.add((prom, register) => {
    prom.collectDefaultMetrics({ register, prefix: "rigd_" });
    // prom-client counts CPU from here on: add what rigd used before, so the totals count
    // from the process's start (as before this registry was lazy, and then some).
    const { user, system } = process.cpuUsage();
    const add = (name: string, micros: number): void =>
      void (register.getSingleMetric(`rigd_process_cpu_${name}seconds_total`) as InstanceType<typeof prom.Counter> | undefined)?.inc(micros / 1e6);
    add("user_", user);
    add("system_", system);
    add("", user + system);
  });
  return {
    suiteHook,
    environmentCreated: (id) => envMetrics.created(id),
    scrape: () => registry.scrape(),
  };
}
