/**
 * How far V8 lets rigd's old generation grow past its live objects. By default V8 sets the
 * next full-GC threshold at up to 4x what survived the last one when collecting is cheap,
 * which it is for rigd (about 30 MiB live): over 1,000 environment lifetimes the old
 * space went from 45 to 95 MiB committed, and RSS with it, while the live heap stayed
 * flat (rigd-memory-bench). A fixed factor of 1.5 keeps the old space near 1.5x live at
 * the cost of more frequent, small full GCs (marking ~30 MiB; measured in that bench and
 * rigd-proxy-bench, see bench/README.md).
 *
 * Set at run time (V8 reads the flag at every full GC); a `--heap-growing-percent` given
 * to node (command line or NODE_OPTIONS) wins. The young generation cannot be sized at run
 * time (V8 fixes its maximum when the isolate starts); see bench/README.md.
 */
import { setFlagsFromString } from "node:v8";

/** The old generation grows to 1 + this/100 times what survived the last full GC. */
export const HEAP_GROWING_PERCENT = 50;

const FLAG = "--heap-growing-percent";

/** Applies rigd's heap growth bound unless node was given one. */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ""): void {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`) || arg.startsWith("--heap_growing_percent"));
  if (!given) setFlagsFromString(`${FLAG}=${HEAP_GROWING_PERCENT}`);
}
