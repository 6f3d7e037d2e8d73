/**
 * The directory of one host server (data dir, unix socket, config): created per server,
 * removed when the server stops, and recorded so the next rigd removes what a rigd
 * killed with SIGKILL left (its processes are killed through rigd's pid records first).
 *
 * It lives in `RIG_DIR/pools/`. When rigd runs as root the server cannot: Postgres
 * refuses root, and RIG_DIR is 0700 so another user cannot reach into it. Then the dir
 * is a private temp dir owned by the server's user, and the record in
 * `RIG_DIR/run/pools/` is what finds it again.
 */
import { chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidIsAlive } from "../os/pid-alive.js";
import type { RunAs } from "./host-process.js";

interface DirRecord {
  readonly rigdPid: number;
  readonly dir: string;
}

function recordsDir(rigDir: string): string {
  return join(rigDir, "run", "pools");
}

/** A host server's directory and its record. */
export interface HostServerDir {
  readonly path: string;
  /** Removes the directory and its record. Idempotent. */
  remove(): void;
}

/** Creates the directory of a `kind` server (owned by `runAs` when given) and records it. */
export function createHostServerDir(rigDir: string, kind: string, runAs?: RunAs): HostServerDir {
  const prefix = `${kind}-${process.pid}-`;
  let path: string;
  if (runAs) {
    path = mkdtempSync(join(tmpdir(), `rig-pool-${prefix}`));
    chownSync(path, runAs.uid, runAs.gid);
  } else {
    const parent = join(rigDir, "pools");
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    path = mkdtempSync(join(parent, prefix));
  }
  const records = recordsDir(rigDir);
  mkdirSync(records, { recursive: true });
  const record = join(records, `${path.slice(path.lastIndexOf("/") + 1)}.json`);
  writeFileSync(record, JSON.stringify({ rigdPid: process.pid, dir: path } satisfies DirRecord));
  return {
    path,
    remove() {
      rmSync(path, { recursive: true, force: true });
      rmSync(record, { force: true });
    },
  };
}

/**
 * Removes the server dirs of rigd processes that are no longer alive (call after their
 * processes were killed). Returns the dirs removed.
 */
export function reapHostServerDirs(rigDir: string): string[] {
  const records = recordsDir(rigDir);
  let names: string[];
  try {
    names = readdirSync(records);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const file = join(records, name);
    let record: DirRecord;
    try {
      record = JSON.parse(readFileSync(file, "utf8")) as DirRecord;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (record.rigdPid === process.pid || pidIsAlive(record.rigdPid)) continue;
    // Only what we made: a pool dir by name, never an arbitrary path from a tampered record.
    if (/\/rig-pool-[a-z]+-\d+-[^/]+$|\/pools\/[a-z]+-\d+-[^/]+$/.test(record.dir)) {
      rmSync(record.dir, { recursive: true, force: true });
      removed.push(record.dir);
    }
    rmSync(file, { force: true });
  }
  return removed;
}
