/**
 * The composition root of rigd: the orchestrator with every built-in service type
 * (process, client, container, postgres, redis, proxy) and the observe transform.
 * Docker types are registered even without an engine; they fail at use with a
 * message saying the engine is unreachable, so process-only users need no Docker.
 */
import { randomBytes } from "node:crypto";
import { createDockerClient } from "../docker/docker-client.js";
import { createDockerServiceTypes } from "../docker/docker-service-types.js";
import { pidIsAlive, reapOrphans } from "../docker/reaper.js";
import { insertProxies } from "../orchestrator/observe-transform.js";
import { Orchestrator } from "../orchestrator/orchestrator.js";
import { createProxyType } from "../services/proxy.js";
import type { BackendContext } from "./start-rigd.js";

/** Builds the orchestrator rigd serves, and starts reaping what a dead rigd left. */
export function composeBackend(context: BackendContext): Orchestrator {
  const log = context.logger.child({ component: "docker" });
  const docker = createDockerClient();
  // Reap in the background: an absent engine must not delay (or fail) start-up. Half a
  // second in, so loading dockerode (lazy, ~90 ms) does not hold up rigd's first answers.
  setTimeout(() => {
    reapOrphans(docker, pidIsAlive).then(
      (reaped) => {
        if (reaped.length > 0) log.warn({ reaped: reaped.map((r) => r.name) }, "removed containers left by a rigd that died");
      },
      (err: unknown) => log.debug({ err }, "no docker engine to reap"),
    );
  }, 500).unref();
  const dockerTypes = createDockerServiceTypes({
    docker,
    owner: { rigdId: `${process.pid}-${randomBytes(4).toString("hex")}`, pid: process.pid },
    log,
  });
  return new Orchestrator({
    ...context,
    extensions: {
      types: [...dockerTypes.types, createProxyType()],
      observe: insertProxies,
      close: () => dockerTypes.close(),
    },
  });
}
