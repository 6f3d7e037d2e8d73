/**
 * rigd's heap growth policy: bounded while little is promoted into the old generation,
 * V8's own while much is, with hysteresis; full GCs are no promotion; a value given to
 * node wins.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BOUNDED_GROWING_PERCENT,
  BUSY_PROMOTION_BYTES_PER_S,
  DYNAMIC_GROWING_PERCENT,
  growthGiven,
  HeapGrowthPolicy,
  pretenuringGiven,
  WINDOW_MS,
} from "./heap-sizing.js";

/** Feeds one window of samples a second apart, promoting `perSecond` bytes each second; returns the percent. */
function window(policy: HeapGrowthPolicy, clock: { ms: number; old: number }, perSecond: number): number {
  let percent = policy.percent;
  for (let s = 0; s < WINDOW_MS / 1000; s++) {
    clock.ms += 1000;
    clock.old += perSecond;
    percent = policy.sample(clock.ms, clock.old, false);
  }
  return percent;
}

describe("HeapGrowthPolicy", () => {
  it("is bounded while calm, V8's own once busy, and bounded again only when well below busy", () => {
    const policy = new HeapGrowthPolicy();
    const clock = { ms: 0, old: 30 << 20 };
    policy.sample(clock.ms, clock.old, false);
    assert.equal(policy.percent, BOUNDED_GROWING_PERCENT);
    assert.equal(window(policy, clock, BUSY_PROMOTION_BYTES_PER_S / 4), BOUNDED_GROWING_PERCENT);
    assert.equal(window(policy, clock, BUSY_PROMOTION_BYTES_PER_S * 2), DYNAMIC_GROWING_PERCENT);
    assert.equal(window(policy, clock, BUSY_PROMOTION_BYTES_PER_S * 0.75), DYNAMIC_GROWING_PERCENT, "between half and busy: unchanged");
    assert.equal(window(policy, clock, BUSY_PROMOTION_BYTES_PER_S / 4), BOUNDED_GROWING_PERCENT);
  });

  it("leaves out the intervals with a full GC: the drop to what survived and the growth across it", () => {
    const policy = new HeapGrowthPolicy();
    let ms = 0;
    policy.sample(ms, 30 << 20, false);
    // Each second the old generation grows by twice busy, but a full GC ran in between
    // every time: none of it is measured, so the policy stays bounded.
    for (let s = 0; s < 3 * (WINDOW_MS / 1000); s++) {
      ms += 1000;
      policy.sample(ms, (30 << 20) + (s % 2) * BUSY_PROMOTION_BYTES_PER_S * 2, true);
    }
    assert.equal(policy.percent, BOUNDED_GROWING_PERCENT);
  });
});

describe("growthGiven", () => {
  it("sees a growing percent given to node on its command line or in NODE_OPTIONS, in either spelling", () => {
    assert.equal(growthGiven(["--heap-growing-percent=30"], ""), true);
    assert.equal(growthGiven([], "--max-old-space-size=512 --heap_growing_percent=20"), true);
    assert.equal(growthGiven(["--inspect"], "--max-old-space-size=512"), false);
    assert.equal(growthGiven([], ""), false);
  });
});

describe("pretenuringGiven", () => {
  it("sees either choice about pretenuring given to node, and nothing else", () => {
    assert.equal(pretenuringGiven(["--allocation-site-pretenuring"], ""), true);
    assert.equal(pretenuringGiven([], "--no-allocation_site_pretenuring"), true);
    assert.equal(pretenuringGiven(["--allocation-site-pretenuring-extra"], "--max-old-space-size=512"), false);
    assert.equal(pretenuringGiven([], ""), false);
  });
});
