/**
 * Leak protection across rigd runs (SPEC §10): containers whose owning rigd is gone
 * (found by label) are removed when the next rigd starts. A rigd that exits cleanly
 * removes its own containers; this catches `kill -9` and crashes.
 */
import type Docker from "dockerode";
import { hostname } from "node:os";
import { dockerStatus } from "./docker-client.js";
import { LABEL_RIGD_HOST, LABEL_RIGD_PID } from "./labels.js";

export { pidIsAlive } from "../os/pid-alive.js";

/** A container the reaper removed. */
export interface ReapedContainer {
  readonly id: string;
  readonly name: string;
  readonly pid: number;
}

/** Options of reapOrphans. */
export interface ReapOptions {
  /** Only containers labelled with this host are considered (default os.hostname()): pids are per host. */
  readonly host?: string;
}

/**
 * Removes every container labelled by a rigd on this host whose pid `isAlive` denies,
 * with its anonymous volumes. Resolves with what was removed; a container that vanished
 * meanwhile is skipped.
 */
export async function reapOrphans(
  docker: Docker,
  isAlive: (pid: number) => boolean,
  options: ReapOptions = {},
): Promise<ReapedContainer[]> {
  const host = options.host ?? hostname();
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RIGD_PID] } });
  const orphans = containers.filter((c) => {
    const ownerHost = c.Labels[LABEL_RIGD_HOST];
    if (ownerHost !== undefined && ownerHost !== host) return false;
    const pid = Number(c.Labels[LABEL_RIGD_PID]);
    return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
  });
  const removed = await Promise.all(
    orphans.map(async (c): Promise<ReapedContainer | undefined> => {
      try {
        await docker.getContainer(c.Id).remove({ force: true, v: true });
      } catch (err) {
        if (dockerStatus(err) === 404 || dockerStatus(err) === 409) return undefined; // gone or being removed
        throw err;
      }
      return { id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, ""), pid: Number(c.Labels[LABEL_RIGD_PID]) };
    }),
  );
  return removed.filter((r): r is ReapedContainer => r !== undefined);
}
