/**
 * Containers kept for inspection after a failure (preserve on failure): stopped, not
 * removed, renamed `rig-kept-...` so neither the watchdog nor the next rigd's reaper
 * takes them, and disconnected from their environment's network so it can go. `rig
 * prune` removes them.
 */
import type Docker from "dockerode";
import { dockerMessage, dockerStatus } from "./docker-client.js";

/** Name prefix of kept containers. */
export const KEPT_PREFIX = "rig-kept-";

/** True for the name (with or without the engine's leading `/`) of a kept container. */
export function isKeptName(name: string): boolean {
  return name.replace(/^\//, "").startsWith(KEPT_PREFIX);
}

/**
 * Keeps the stopped container `name` (`rig-...`): off `network`, renamed. Resolves with
 * a line saying how to inspect it.
 */
export async function keepForInspection(docker: Docker, name: string, network: string | undefined): Promise<string> {
  const kept = `${KEPT_PREFIX}${name.replace(/^rig-/, "")}`;
  const container = docker.getContainer(name);
  try {
    if (network) await docker.getNetwork(network).disconnect({ Container: name, Force: true });
    await container.rename({ name: kept });
  } catch (err) {
    if (dockerStatus(err) === 404) return `container ${name} is gone (nothing to keep)`;
    throw new Error(`cannot keep container ${name}: ${dockerMessage(err)}`);
  }
  return `container ${kept} (stopped): docker logs ${kept}; docker cp ${kept}:/path .; docker commit ${kept} rig-debug && docker run --rm -it --entrypoint sh rig-debug`;
}
