import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatDuration, parseDuration } from "./duration-text.js";

describe("parseDuration", () => {
  it("reads every unit and combinations", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("5m"), 300_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("0"), 0);
  });

  it("rejects what is not a duration, naming the input", () => {
    for (const bad of ["", "5", "5x", "m", "-1s", "1s junk", "1 s"]) {
      assert.throws(() => parseDuration(bad), (err: Error) => err.message.includes(`"${bad}"`), bad);
    }
  });

  it("formats back", () => {
    assert.equal(formatDuration(300_000), "5m");
    assert.equal(formatDuration(1500), "1500ms");
    assert.equal(formatDuration(0), "0ms");
  });
});
