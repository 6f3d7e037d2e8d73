/**
 * Pid records of started host processes, so a rigd that starts after one that died
 * can kill the process groups it left behind (SPEC §10).
 *
 * A record names the owning rigd pid, the child's process group, the child's kernel
 * start time (which guards against killing a recycled pid) and the tree marker its
 * descendants inherit (which finds those that left the group).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pidIsAlive } from "./pid-alive.js";
import { procStatFields } from "./proc-stat.js";
import { killMarked } from "./process-tree.js";

interface ProcessRecord {
  readonly rigdPid: number;
  readonly pgid: number;
  readonly startTime: string;
  readonly command: string;
  readonly marker?: string;
}

/** Kernel start time of a pid (field 22 of /proc/PID/stat), or undefined when gone. */
export function processStartTime(pid: number): string | undefined {
  return procStatFields(pid)?.[19];
}

export class ProcessRecords {
  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private file(pgid: number): string {
    return join(this.dir, `${process.pid}-${pgid}.json`);
  }

  /** Records a started process group owned by this rigd. */
  add(pgid: number, command: string, marker = ""): void {
    const record: ProcessRecord = { rigdPid: process.pid, pgid, startTime: processStartTime(pgid) ?? "", command, marker };
    writeFileSync(this.file(pgid), JSON.stringify(record));
  }

  /** Forgets a process group once it is stopped. */
  remove(pgid: number): void {
    rmSync(this.file(pgid), { force: true });
  }

  /**
   * Kills process groups recorded by rigd processes that are no longer alive and
   * deletes their records. Returns the commands it killed.
   */
  reapOrphans(): string[] {
    const killed: string[] = [];
    const markers = new Set<string>();
    for (const name of readdirSync(this.dir)) {
      const path = join(this.dir, name);
      let record: ProcessRecord;
      try {
        record = JSON.parse(readFileSync(path, "utf8")) as ProcessRecord;
      } catch {
        rmSync(path, { force: true });
        continue;
      }
      if (record.rigdPid === process.pid || pidIsAlive(record.rigdPid)) continue;
      if (record.marker) markers.add(record.marker);
      if (processStartTime(record.pgid) === record.startTime && record.startTime !== "") {
        try {
          process.kill(-record.pgid, "SIGKILL");
          killed.push(record.command);
        } catch {
          // already gone
        }
      }
      rmSync(path, { force: true });
    }
    // Descendants that left their group (setsid, double fork) carry the marker.
    killMarked(markers);
    return killed;
  }
}
