/**
 * Cooperative time slices for work that fans out wide (a thousand services starting at
 * once). Continuations of resolved promises, and every setImmediate queued in one turn,
 * run back to back without letting the event loop poll for I/O; so a burst of such work
 * holds every other client's call until it is all done. `yieldIfBusy()` returns at once
 * while the current slice is short, and once it has run longer than the budget waits for
 * the next turn of the event loop, so I/O gets its turn every few milliseconds.
 *
 * A slice starts at the first call of a turn (its end is marked by a setImmediate), so
 * work arriving at an idle rigd never waits for a turn it does not need: that wait
 * (behind whatever I/O the loop has queued) would sit on every service's start path.
 */
import { setImmediate as nextTurn } from "node:timers/promises";

const BUDGET_MS = 8;
let sliceStart = 0;
/** True from the first call of a turn until that turn's check phase. */
let inSlice = false;
let turn: Promise<void> | undefined;

function endSlice(): void {
  inSlice = false;
}

/** Waits for the next event-loop turn when this turn has already run past the budget. */
export async function yieldIfBusy(): Promise<void> {
  if (!inSlice) {
    inSlice = true;
    sliceStart = performance.now();
    setImmediate(endSlice);
    return;
  }
  if (performance.now() - sliceStart < BUDGET_MS) return;
  // Everyone over budget in this turn waits for the same next turn.
  turn ??= nextTurn().then(() => {
    turn = undefined;
  });
  await turn;
}
