/**
 * Composes what rigd adds beside environments: the suites (config file, history, runner,
 * schedules, webhook hooks), the SuiteService that serves them, and the metrics that
 * `/metrics` shows (suite metrics through a hook, rig's own from the event logs and the
 * lock log).
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { ServedService } from "../api/api-handler.js";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import type { SuiteHook } from "../contract/suite-hooks.js";
import { EnvironmentNotFoundError } from "../contract/errors.js";
import { DestroyEnvironmentRequestSchema } from "../gen/rig/v1/environment_service_pb.js";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import { SuiteService } from "../gen/rig/v1/suite_service_pb.js";
import { createRigdMetrics, type RigdMetrics } from "../metrics/rigd-metrics.js";
import { ProcessRecords } from "../os/process-records.js";
import { pidIsAlive } from "../os/pid-alive.js";
import { TreeKiller } from "../os/process-tree.js";
import { SuiteHost } from "../suites/suite-host.js";
import { createSuiteService } from "../suites/suite-service.js";
import { loadSuitesConfig } from "../suites/suites-file.js";
import { webhookHook } from "../suites/webhook-hook.js";

/** The suites and metrics of one rigd. */
export interface ComposedSuites {
  readonly service: ServedService;
  readonly metrics: RigdMetrics;
  readonly host: SuiteHost;
  /** The create listener (observed-backend.ts): links the environment, has the metrics observe its events. */
  readonly environmentCreated: (spec: EnvironmentSpec, id: string) => void;
  /** A run is in flight or a schedule is set: rigd must not exit idle. */
  busy(): boolean;
  close(): Promise<void>;
}

/** What the suites are built from; throws SuiteDefinitionError for a bad suites file. */
export interface SuitesContext {
  readonly rigDir: string;
  readonly logger: Logger;
  readonly suitesFile: string | undefined;
  readonly backend: EnvironmentBackend;
  /** RIG_SERVER and RIG_TOKEN of this rigd, once it serves. */
  readonly rigdEnv: () => Readonly<Record<string, string>>;
  /** Plugins called through every run, after the metrics and the webhooks. */
  readonly hooks: readonly SuiteHook[];
}

export async function composeSuites(context: SuitesContext): Promise<ComposedSuites> {
  const config = loadSuitesConfig(context.rigDir, context.suitesFile);
  const suiteMarkerPrefix = `${process.pid}.${randomBytes(4).toString("hex")}`;
  const metrics = createRigdMetrics(context.backend, join(context.rigDir, "locks", "operations.jsonl"));
  const host = await SuiteHost.open({
    rigDir: context.rigDir,
    config,
    hooks: [metrics.suiteHook, ...config.webhooks.map(webhookHook), ...context.hooks],
    attempts: {
      trees: new TreeKiller(`${suiteMarkerPrefix}.`),
      // The same records the process type keeps: a rigd that dies mid-run has its suite reaped by the next.
      records: new ProcessRecords(join(context.rigDir, "run", "processes")),
      markerPrefix: suiteMarkerPrefix,
    },
    destroyEnvironment: async (id) => {
      try {
        await context.backend.destroy(create(DestroyEnvironmentRequestSchema, { environmentId: id, reason: "its suite run ended" }));
      } catch (err) {
        if (!(err instanceof EnvironmentNotFoundError)) throw err; // already forgotten: nothing to destroy
      }
    },
    rigdEnv: context.rigdEnv,
    logger: context.logger,
    pidAlive: pidIsAlive,
  });
  return {
    service: { desc: SuiteService, register: (router) => router.service(SuiteService, createSuiteService(host)) },
    metrics,
    host,
    environmentCreated: (spec, id) => {
      host.environmentCreated(spec.labels, id);
      metrics.environmentCreated(id);
    },
    busy: () => host.running > 0 || host.scheduled,
    close: async () => {
      await host.close();
    },
  };
}
