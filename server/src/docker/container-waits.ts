/**
 * Readiness waits a container checks its own way: a command run inside it (`docker exec`)
 * and the image's own HEALTHCHECK (the engine's health status).
 */
import type Docker from "dockerode";
import type { ReadinessProbe } from "../contract/service-type.js";
import { execInContainer } from "./container-exec.js";
import { dockerMessage } from "./docker-client.js";

/** Ready when `command` exits 0 inside `container`. */
export function containerCommandProbe(docker: Docker, container: string, command: readonly string[]): ReadinessProbe {
  return async (signal) => {
    try {
      const result = await execInContainer(docker, container, command, { signal });
      if (result.exitCode === 0) return { ready: true };
      const lastLine = [...result.stderr.split("\n"), ...result.stdout.split("\n")].filter((l) => l.trim()).at(-1);
      return { ready: false, detail: `exited with ${result.exitCode}${lastLine ? `: ${lastLine}` : ""}` };
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      return { ready: false, detail: dockerMessage(err) };
    }
  };
}

/** Ready when the engine reports the container healthy by its image's HEALTHCHECK. */
export function healthcheckProbe(docker: Docker, container: string): ReadinessProbe {
  return async (signal) => {
    const info = await docker.getContainer(container).inspect({ abortSignal: signal });
    const health = info.State.Health;
    if (!health) return { ready: false, detail: `image ${info.Config.Image} has no HEALTHCHECK` };
    if (health.Status === "healthy") return { ready: true };
    const last = health.Log?.at(-1)?.Output?.trim().split("\n").at(-1);
    return { ready: false, detail: `${health.Status}${last ? `, last check said: ${last}` : ""}` };
  };
}
