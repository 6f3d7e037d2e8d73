// Passing, failing, flaky by design, skipped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { flakyTurn } from "./flaky-counter.mjs";

test("adds", () => assert.equal(1 + 1, 2));
test("compares", () => assert.equal("rig", "gir", "a failure by design"));
test("flaky", () => flakyTurn());
test("later", { skip: "skipped by design" }, () => {});
