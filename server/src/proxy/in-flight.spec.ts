import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InFlight } from "./in-flight.js";

describe("InFlight", () => {
  it("finds, replaces and takes values by stream id", () => {
    const streams = new InFlight<string>();
    streams.set(1, "a");
    streams.set(3, "b");
    assert.equal(streams.get(1), "a");
    assert.equal(streams.get(3), "b");
    assert.equal(streams.get(5), undefined);
    streams.set(3, "c");
    assert.equal(streams.size, 2);
    assert.equal(streams.take(3), "c");
    assert.equal(streams.take(3), undefined, "a stream ends once");
    assert.equal(streams.get(3), undefined);
    assert.equal(streams.size, 1);
  });

  it("lists ids in the order they opened, and takes while listing", () => {
    const streams = new InFlight<number>();
    for (const id of [7, 1, 5]) streams.set(id, id * 10);
    const taken = streams.ids().map((id) => streams.take(id));
    assert.deepEqual(taken, [70, 10, 50]);
    assert.equal(streams.size, 0);
  });

  it("keeps each value apart while slots are reused over many streams", () => {
    const streams = new InFlight<{ id: number }>();
    const open: number[] = [];
    for (let id = 1; id < 20_000; id += 2) {
      streams.set(id, { id });
      open.push(id);
      // A few streams open at once, ending out of order.
      if (open.length > 3) {
        const ended = open.splice(id % 3, 1)[0]!;
        assert.equal(streams.take(ended)?.id, ended);
      }
      for (const o of open) assert.equal(streams.get(o)?.id, o);
    }
    assert.equal(streams.size, 3);
    assert.deepEqual(streams.ids().sort((a, b) => a - b), [...open].sort((a, b) => a - b));
  });
});
