/**
 * Cooperative time slices for work that fans out wide (a thousand services starting at
 * once). Continuations of resolved promises, and every setImmediate queued in one turn,
 * run back to back without letting the event loop poll for I/O; so a burst of such work
 * holds every other client's call until it is all done. `yieldIfBusy()` returns at once
 * while the current slice is short, and once it has run longer than the budget waits for
 * the next turn of the event loop, so I/O gets its turn every few milliseconds.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

const BUDGET_MS = 8;
let sliceStart = performance.now();
let turn: Promise<void> | undefined;

/** Waits for the next event-loop turn when this turn has already run past the budget. */
export async function yieldIfBusy(): Promise<void> {
  if (performance.now() - sliceStart < BUDGET_MS) return;
  // Everyone over budget in this turn waits for the same next turn.
  turn ??= nextTurn().then(() => {
    turn = undefined;
    sliceStart = performance.now();
  });
  await turn;
}
