/**
 * Leak protection across rigd runs (SPEC §10): containers and environment networks whose
 * owning rigd is gone (found by label) are removed when the next rigd starts. A rigd that exits cleanly
 * removes its own containers; this catches `kill -9` and crashes.
 */
import type Docker from "dockerode";
import { hostname } from "node:os";
import { dockerStatus } from "./docker-client.js";
import { engineSocketPath, getEngineJson } from "../os/engine-socket.js";
import { removeNetwork } from "./environment-network.js";
import { isKeptName } from "./kept-containers.js";
import { LABEL_REUSE, LABEL_RIGD_HOST, LABEL_RIGD_PID } from "./labels.js";

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
  const containers = await docker.listContainers({ all: true, filters: { label: [LABEL_RIGD_PID] } });
  // Kept containers wait for `rig prune`, whoever owned them; reusable ones for a later rigd.
  const orphans = containers.filter((c) => orphanContainer(c, isAlive, options));
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

/** A network the reaper removed. */
export interface ReapedNetwork {
  readonly id: string;
  readonly name: string;
  readonly pid: number;
}

/**
 * Removes every environment network labelled by a dead rigd on this host. Run it after
 * reapOrphans: a network with containers attached cannot be removed.
 */
export async function reapOrphanNetworks(
  docker: Docker,
  isAlive: (pid: number) => boolean,
  options: ReapOptions = {},
): Promise<ReapedNetwork[]> {
  const networks = await docker.listNetworks({ filters: { label: [LABEL_RIGD_PID] } });
  const orphans = networks.filter((n) => orphaned(n.Labels ?? {}, isAlive, options));
  await Promise.all(orphans.map((n) => removeNetwork(docker, n.Id, n.Name)));
  return orphans.map((n) => ({ id: n.Id, name: n.Name, pid: Number(n.Labels?.[LABEL_RIGD_PID]) }));
}

/**
 * Whether a dead rigd of this host left a container or network to reap, asked over the
 * engine's unix socket without loading dockerode (os/engine-socket.ts); undefined when the
 * engine is not on a unix socket. Rejects when the engine cannot be asked.
 */
export async function orphansLeft(isAlive: (pid: number) => boolean, options: ReapOptions = {}): Promise<boolean | undefined> {
  const socketPath = engineSocketPath();
  if (socketPath === undefined) return undefined;
  const filters = encodeURIComponent(JSON.stringify({ label: [LABEL_RIGD_PID] }));
  const [containers, networks] = (await Promise.all([
    getEngineJson(socketPath, `/containers/json?all=1&filters=${filters}`),
    getEngineJson(socketPath, `/networks?filters=${filters}`),
  ])) as [Labelled[], Labelled[]];
  return containers.some((c) => orphanContainer(c, isAlive, options)) || networks.some((n) => orphaned(n.Labels ?? {}, isAlive, options));
}

/** What the engine lists of a container or network (the fields the reaper reads). */
interface Labelled {
  readonly Names?: readonly string[];
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** A container of a dead rigd of this host, neither kept for inspection nor meant for reuse. */
function orphanContainer(c: Labelled, isAlive: (pid: number) => boolean, options: ReapOptions): boolean {
  const labels = c.Labels ?? {};
  return !isKeptName(c.Names?.[0] ?? "") && labels[LABEL_REUSE] !== "true" && orphaned(labels, isAlive, options);
}

/** Labelled by a rigd on this host whose pid is dead. */
function orphaned(labels: Readonly<Record<string, string>>, isAlive: (pid: number) => boolean, options: ReapOptions): boolean {
  const ownerHost = labels[LABEL_RIGD_HOST];
  if (ownerHost !== undefined && ownerHost !== (options.host ?? hostname())) return false;
  const pid = Number(labels[LABEL_RIGD_PID]);
  return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
}
