/**
 * rigd's side of its watchdog (see watchdog-main.ts): spawns it detached with a pipe
 * on its stdin and tells it what to clean up should rigd die. A clean shutdown says
 * `bye` first, so the watchdog leaves everything alone.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { isSea } from "node:sea";
import { fileURLToPath } from "node:url";
import { inRigdBundle } from "./rigd-bundle.js";

/** What rigd registers with its watchdog. */
export interface Watchdog {
  /** Kill this process tree if rigd dies. */
  watchTree(marker: string): void;
  forgetTree(marker: string): void;
  /** Remove this dir if rigd dies. */
  watchDir(path: string): void;
  forgetDir(path: string): void;
  /** rigd is shutting down cleanly: the watchdog exits and cleans nothing. */
  close(): void;
}

/** The flag the self-contained rigd runs its own watchdog with (`rigd/binary-main.ts`). */
export const WATCHDOG_FLAG = "--rig-watchdog";

/**
 * The arguments that start the watchdog with `process.execPath`: watchdog-main.js beside
 * this file, or, for the bundle, the bundle itself with WATCHDOG_FLAG (as `node rigd.cjs`,
 * or as the single executable, whose execPath is rigd).
 */
function watchdogEntry(): string[] {
  if (!inRigdBundle) return [fileURLToPath(new URL("./watchdog-main.js", import.meta.url))];
  return isSea() ? [WATCHDOG_FLAG] : [process.argv[1] as string, WATCHDOG_FLAG];
}

/**
 * The watchdog of this rigd, spawned when first told something to clean up (a rigd with
 * nothing registered has nothing for it to do, and spawning it costs ~8 ms of start-up).
 * Its failure to start never stops rigd.
 */
export function startWatchdog(): Watchdog {
  let child: ChildProcess | undefined;
  let spawned = false;
  const spawnOnce = (): void => {
    if (spawned) return;
    spawned = true;
    try {
      child = spawn(process.execPath, [...watchdogEntry(), String(process.pid)], {
        detached: true,
        stdio: ["pipe", "ignore", "ignore"],
      });
      child.on("error", () => (child = undefined));
      child.stdin?.on("error", () => {});
      child.unref();
      (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
    } catch {
      child = undefined;
    }
  };
  const send = (line: string): void => {
    spawnOnce();
    if (child?.stdin?.writable) child.stdin.write(`${line}\n`);
  };
  return {
    watchTree: (marker) => send(`tree ${marker}`),
    forgetTree: (marker) => send(`untree ${marker}`),
    watchDir: (path) => send(`dir ${path}`),
    forgetDir: (path) => send(`undir ${path}`),
    close: () => {
      if (!spawned) return;
      send("bye");
      child?.stdin?.end();
    },
  };
}
