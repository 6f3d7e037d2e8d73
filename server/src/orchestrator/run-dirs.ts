/**
 * RIG_DIR/tmp/<environment>: the scratch dir of one run (env dir, service temp dirs).
 * Each holds an `.owner` file naming the rigd that made it, so the next rigd removes the
 * dirs of a rigd that died (its watchdog normally removes them first).
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidIsAlive } from "../os/pid-alive.js";

const OWNER = ".owner";

/** Marks `runDir` as this rigd's. */
export function claimRunDir(runDir: string): void {
  writeFileSync(join(runDir, OWNER), `${process.pid}\n`, { mode: 0o600 });
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
