/**
 * Fields of /proc/PID/stat (Linux), read the one safe way: the command (field 2) may hold
 * spaces and parentheses, so the fields resume after its last ')'.
 */
import { readFileSync } from "node:fs";

/**
 * The fields after the command: index 0 is field 3 (state), 2 is field 5 (pgrp), 19 is
 * field 22 (start time). Undefined when the process is gone or not readable.
 */
export function procStatFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}
