/**
 * The watchdog's work, for both of its entries: `watchdog-main.ts` (rigd from
 * server/dist spawns it as a script) and the self-contained rigd, which spawns itself with
 * `--rig-watchdog PID` (a bundle has no second script to run).
 */
import { rmSync } from "node:fs";
import { createInterface } from "node:readline";
import { callEngine, engineSocketPath, getEngineJson } from "./engine-socket.js";
import { killMarked } from "./process-tree.js";

/** Follows rigd `rigdPid` through stdin (see watchdog-main.ts) and cleans up after it dies. */
export function runWatchdog(rigdPid: number): void {
  const trees = new Set<string>();
  const dirs = new Set<string>();
  let clean = false;
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const space = line.indexOf(" ");
    const verb = space < 0 ? line : line.slice(0, space);
    const arg = space < 0 ? "" : line.slice(space + 1);
    if (verb === "tree") trees.add(arg);
    else if (verb === "untree") trees.delete(arg);
    else if (verb === "dir") dirs.add(arg);
    else if (verb === "undir") dirs.delete(arg);
    else if (verb === "bye") clean = true;
  });
  lines.on("close", () => {
    if (clean) process.exit(0);
    killMarked(trees);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    removeDockerLeftovers(rigdPid).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  });
}

/** rigd's containers, then networks (label rig.rigd.pid), removed through a unix-socket engine. */
async function removeDockerLeftovers(rigdPid: number): Promise<void> {
  const socketPath = engineSocketPath();
  if (socketPath === undefined) return;
  const filters = encodeURIComponent(JSON.stringify({ label: [`rig.rigd.pid=${rigdPid}`] }));
  const list = (await getEngineJson(socketPath, `/containers/json?all=1&filters=${filters}`)) as {
    Id: string;
    Names?: string[];
    Labels?: Record<string, string>;
  }[];
  // Containers kept for inspection (renamed rig-kept-...) wait for `rig prune`; reusable ones for a later rigd.
  const doomed = list.filter((c) => !(c.Names ?? []).some((n) => n.startsWith("/rig-kept-")) && c.Labels?.["rig.reuse"] !== "true");
  await Promise.all(doomed.map((c) => callEngine(socketPath, "DELETE", `/containers/${c.Id}?force=1&v=1`).catch(() => "")));
  // Then the environments' networks, which their containers no longer hold.
  const networks = (await getEngineJson(socketPath, `/networks?filters=${filters}`)) as { Id: string }[];
  await Promise.all(networks.map((n) => callEngine(socketPath, "DELETE", `/networks/${n.Id}`).catch(() => "")));
}
