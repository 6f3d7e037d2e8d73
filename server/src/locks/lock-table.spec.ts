import assert from "node:assert/strict";
import { test } from "node:test";
import { LockMode } from "../gen/rig/v1/lock_service_pb.js";
import { LockTable } from "./lock-table.js";

const X = LockMode.EXCLUSIVE;
const S = LockMode.SHARED;

test("exclusive excludes everyone; shared holders share up to max parallelism", () => {
  const table = new LockTable();
  table.declare("db", 2);
  const a = table.request(["db"], S, undefined);
  const b = table.request(["db"], S, undefined);
  const c = table.request(["db"], S, undefined);
  assert.deepEqual([a.state, b.state, c.state], ["held", "held", "waiting"]);
  const x = table.request(["db"], X, undefined);
  table.finish(a);
  assert.equal(c.state, "held");
  assert.equal(x.state, "waiting");
  table.finish(b);
  table.finish(c);
  assert.equal(x.state, "held");
});

test("a waiting exclusive blocks new shared holders (FIFO)", () => {
  const table = new LockTable();
  const s1 = table.request(["r"], S, undefined);
  const x = table.request(["r"], X, undefined);
  const s2 = table.request(["r"], S, undefined);
  assert.deepEqual([s1.state, x.state, s2.state], ["held", "waiting", "waiting"]);
  table.finish(s1);
  assert.deepEqual([x.state, s2.state], ["held", "waiting"]);
  table.finish(x);
  assert.equal(s2.state, "held");
});

test("several resources are granted all at once, never partly", () => {
  const table = new LockTable();
  const a = table.request(["a"], X, undefined);
  const ab = table.request(["b", "a"], X, undefined);
  assert.deepEqual(ab.resources, ["a", "b"]);
  assert.equal(ab.state, "waiting");
  // b is free but ab does not hold it while it waits for a; a later b request waits behind ab (FIFO).
  const b = table.request(["b"], X, undefined);
  assert.equal(b.state, "waiting");
  table.finish(a);
  assert.equal(ab.state, "held");
  table.finish(ab);
  assert.equal(b.state, "held");
});

test("a cancelled waiter unblocks the queue", () => {
  const table = new LockTable();
  const h = table.request(["r"], X, undefined);
  const w1 = table.request(["r"], X, undefined);
  const w2 = table.request(["r", "q"], X, undefined);
  const q = table.request(["q"], X, undefined);
  assert.equal(q.state, "waiting");
  table.finish(w2);
  assert.equal(q.state, "held");
  table.finish(h);
  assert.equal(w1.state, "held");
});

test("one request may take some resources shared and others exclusive", () => {
  const table = new LockTable();
  const mixed = table.requestEach(new Map([["db", S], ["port", X]]), undefined);
  const dbShared = table.request(["db"], S, undefined);
  const port = table.request(["port"], S, undefined);
  assert.deepEqual([mixed.state, dbShared.state, port.state], ["held", "held", "waiting"]);
  assert.equal(mixed.mode, X);
  table.finish(mixed);
  assert.equal(port.state, "held");
});
