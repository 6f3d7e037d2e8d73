/**
 * Cooperative time slices for work that fans out wide (a thousand services starting at
 * once). Continuations of resolved promises, and every setImmediate queued in one turn,
 * run back to back without letting the event loop poll for I/O; so a burst of such work
 * holds every other client's call until it is all done. `yieldIfBusy()` returns at once
 * while the current slice is short, and once it has run longer than the budget waits for
 * the next turn of the event loop, so I/O gets its turn every few milliseconds.
 *
 * A slice starts at a yield, or at the first call after the loop sat idle (waiting for
 * I/O, which it then served): work arriving at an idle rigd does not wait for a turn it
 * does not need, a wait that would sit on every service's start path.
 */
import { performance } from "node:perf_hooks";
import { setImmediate as nextTurn } from "node:timers/promises";

const BUDGET_MS = 8;
let sliceStart = performance.now();
/** The loop's idle time (ms) when the current slice started. */
let idleAtSliceStart = 0;
let turn: Promise<void> | undefined;

/** Waits for the next event-loop turn when this slice has already run past the budget. */
export async function yieldIfBusy(): Promise<void> {
  const idle = performance.eventLoopUtilization().idle;
  if (idle !== idleAtSliceStart) {
    idleAtSliceStart = idle;
    sliceStart = performance.now();
    return;
  }
  if (performance.now() - sliceStart < BUDGET_MS) return;
  // Everyone over budget in this turn waits for the same next turn.
  turn ??= nextTurn().then(() => {
    turn = undefined;
    sliceStart = performance.now();
  });
  await turn;
}
