/**
 * rigd's watchdog: a tiny detached process that outlives rigd only to clean up after
 * it. rigd holds its stdin open and sends one command per line:
 *
 *   tree MARKER      a process tree to kill if rigd dies (RIG_PROCESS_TREE=MARKER)
 *   untree MARKER    that tree is gone
 *   dir PATH         a temp dir to remove if rigd dies
 *   undir PATH       that dir is gone
 *
 * When stdin ends without a `bye` line (rigd was killed, crashed, or its machine ran out
 * of memory), the watchdog kills every registered tree, removes every registered dir,
 * removes rigd's containers and networks through the engine's socket when there is one, and exits.
 * So services stop within a second or two of their rigd, not whenever a next rigd starts.
 */
import { runWatchdog } from "./watchdog-process.js";

runWatchdog(Number(process.argv[2]));
