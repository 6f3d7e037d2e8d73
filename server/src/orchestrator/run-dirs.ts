/**
 * RIG_DIR/tmp/<environment>: the scratch dir of one run (env dir, service temp dirs).
 * Each holds an `.owner` file naming the rigd that made it, so the next rigd removes the
 * dirs of a rigd that died (its watchdog normally removes them first).
 */
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { pidIsAlive } from "../os/pid-alive.js";

const OWNER = ".owner";

/** Marks `runDir` as this rigd's. */
export function claimRunDir(runDir: string): void {
  writeFileSync(join(runDir, OWNER), `${process.pid}\n`, { mode: 0o600 });
}

/** Who is told about dirs to remove should rigd die (rigd's watchdog). */
export interface DirWatcher {
  watchDir(path: string): void;
  forgetDir(path: string): void;
}

/**
 * Removes a run dir without making teardown wait for the disk: it is renamed aside at
 * once (one syscall: its path is gone when this returns) and deleted in the background,
 * which took a few ms of a destroy on an overlay filesystem. The aside dir keeps its
 * `.owner`, so should rigd die meanwhile, its watchdog (told here) or the next rigd
 * (reapOrphanedRunDirs) removes it. Resolves once it is deleted.
 */
export function removeRunDir(runDir: string, watchdog?: DirWatcher): Promise<void> {
  const aside = `${runDir}.removing`;
  try {
    watchdog?.watchDir(aside);
    renameSync(runDir, aside);
  } catch {
    // Gone already, or cannot be moved: remove it where it is.
    watchdog?.forgetDir(aside);
    rmSync(runDir, { recursive: true, force: true });
    watchdog?.forgetDir(runDir);
    return Promise.resolve();
  }
  watchdog?.forgetDir(runDir);
  return rm(aside, { recursive: true, force: true, maxRetries: 3 })
    .catch(() => rmSync(aside, { recursive: true, force: true }))
    .finally(() => watchdog?.forgetDir(aside));
}

/** Removes run dirs under RIG_DIR/tmp whose rigd is gone; returns their names. */
export function reapOrphanedRunDirs(rigDir: string): string[] {
  const tmp = join(rigDir, "tmp");
  let names: string[];
  try {
    names = readdirSync(tmp);
  } catch {
    return [];
  }
  const reaped: string[] = [];
  for (const name of names) {
    let owner: number;
    try {
      owner = Number(readFileSync(join(tmp, name, OWNER), "utf8").trim());
    } catch {
      continue; // not a run dir, or preserved by hand: leave it
    }
    if (owner === process.pid || (owner > 0 && pidIsAlive(owner))) continue;
    rmSync(join(tmp, name), { recursive: true, force: true });
    reaped.push(name);
  }
  return reaped;
}
