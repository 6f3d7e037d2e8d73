/** yieldIfBusy: a turn yields only once it has run past its budget. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { yieldIfBusy } from "./time-slice.js";

/** Whether `yieldIfBusy()` let an immediate queued before it run (it waited for a turn). */
async function yielded(): Promise<boolean> {
  let ran = false;
  setImmediate(() => (ran = true));
  await yieldIfBusy();
  return ran;
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

it("does not wait for a turn on a rigd that was idle (the first call after idling starts a slice)", async () => {
  await sleep(30);
  assert.equal(await yielded(), false);
  assert.equal(await yielded(), false);
});

it("waits for the next turn once the turn has run past its budget, then starts a new slice", async () => {
  await sleep(30);
  await yieldIfBusy();
  spin(20);
  assert.equal(await yielded(), true);
  assert.equal(await yielded(), false);
});
