/**
 * Everything rigd serves at `/metrics`, in one prom-client registry of its own (never the
 * global one, so two rigds in one process, as in tests, do not mix): the suite metrics,
 * rig's environment, proxy, pool and lock metrics, and Node's process metrics prefixed
 * `rigd_`.
 */
import { collectDefaultMetrics, Registry } from "prom-client";
import type { SuiteHook } from "../contract/suite-hooks.js";
import { EnvironmentMetrics, type EnvironmentSource } from "./environment-metrics.js";
import { LockMetrics } from "./lock-metrics.js";
import { suiteMetrics } from "./suite-metrics.js";

/** The metrics of one rigd. */
export interface RigdMetrics {
  readonly registry: Registry;
  /** The suite hook that keeps the suite metrics. */
  readonly suiteHook: SuiteHook;
  /** Reads the environments' event logs on from where the last read stopped. */
  sync(): Promise<void>;
  /** Tells the metrics an environment was created (they follow its event log). */
  environmentCreated(id: string): void;
  stop(): void;
}

/** Builds the registry over rigd's environments and its lock operation log. */
export function createRigdMetrics(environments: EnvironmentSource, lockLogFile: string): RigdMetrics {
  const registry = new Registry();
  const envMetrics = new EnvironmentMetrics(registry, environments);
  new LockMetrics(registry, lockLogFile);
  const suiteHook = suiteMetrics(registry);
  collectDefaultMetrics({ register: registry, prefix: "rigd_" });
  return {
    registry,
    suiteHook,
    sync: () => envMetrics.sync(),
    environmentCreated: (id) => envMetrics.created(id),
    stop: () => envMetrics.stop(),
  };
}
