/**
 * Whether a pid belongs to a live process: how rigd tells a dead rigd's leftovers
 * (pid records, container labels) from a live one's.
 */

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
