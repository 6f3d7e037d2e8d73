/**
 * Recognising test contexts and reading their outcome, with contexts shaped like
 * node:test's (a real one) and vitest's (a stand-in with vitest's hook names).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { isTestContext, onTestEnd, testName } from "./test-context.js";
import { rig } from "../index.js";

test("a node:test context is recognised, a services map is not", (t) => {
  assert.equal(isTestContext(t), true);
  assert.equal(testName(t), "a node:test context is recognised, a services map is not");
  assert.equal(isTestContext({ after: rig.process("x") }), false);
  assert.equal(isTestContext({ api: rig.process("x") }), false);
  assert.equal(isTestContext(null), false);
});

// The failing case needs a failing test; lifecycle.spec.ts runs one in a child process.
test("node:test: cleanup runs in t.after of a passing test, marked not failed", async (t) => {
  const outcomes: boolean[] = [];
  await t.test("passing subtest", (sub) => {
    onTestEnd(sub, async ({ failed }) => void outcomes.push(failed));
  });
  assert.deepEqual(outcomes, [false]);
});

test("vitest-shaped context: onTestFinished runs cleanup, onTestFailed or the task state marks failure", async () => {
  const hooks: { finished: Array<() => unknown>; failed: Array<() => unknown> } = { finished: [], failed: [] };
  const task = { name: "checkout works", result: { state: "pass" } };
  const vitestContext = {
    task,
    onTestFinished: (fn: () => unknown) => hooks.finished.push(fn),
    onTestFailed: (fn: () => unknown) => hooks.failed.push(fn),
  };
  assert.equal(isTestContext(vitestContext), true);
  assert.equal(testName(vitestContext), "checkout works");

  const outcomes: boolean[] = [];
  onTestEnd(vitestContext, async ({ failed }) => void outcomes.push(failed));
  await hooks.finished[0]?.();
  task.result.state = "fail";
  await hooks.finished[0]?.();
  task.result.state = "pass";
  await hooks.failed[0]?.();
  await hooks.finished[0]?.();
  assert.deepEqual(outcomes, [false, true, true]);
});

test("a function-shaped context (vitest 3) is a test context, and its task names the test", () => {
  const context = Object.assign(() => undefined, {
    task: { name: "checkout works" },
    onTestFinished: () => undefined,
    onTestFailed: () => undefined,
  });
  assert.equal(isTestContext(context), true);
  assert.equal(testName(context), "checkout works");
  assert.equal(isTestContext(() => undefined), false);
});
