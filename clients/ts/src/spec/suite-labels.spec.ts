/** Inside a rig suite run (RIG_SUITE_RUN), rig.up(t, ...) labels the spec with the run and the test. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { HandlerRegistry } from "../callbacks/handlers.js";
import { rig } from "../index.js";
import { buildSpec } from "./build-spec.js";
import { suiteLabels } from "./suite-labels.js";

test("labels name the suite run and the test, only inside a run", (t) => {
  const services = { w: rig.process("sleep", "1").noIngress() };
  assert.deepEqual(suiteLabels(t.name, {}), {});
  assert.deepEqual(suiteLabels(undefined, { RIG_SUITE_RUN: "node-01" }), { "rig.suite.run": "node-01" });
  const saved = process.env.RIG_SUITE_RUN;
  process.env.RIG_SUITE_RUN = "node-0123456789";
  try {
    const spec = buildSpec(services, { testName: t.name }, new HandlerRegistry());
    assert.deepEqual(spec.labels, { "rig.suite.run": "node-0123456789", "rig.suite.test": "labels name the suite run and the test, only inside a run" });
  } finally {
    if (saved === undefined) delete process.env.RIG_SUITE_RUN;
    else process.env.RIG_SUITE_RUN = saved;
  }
});
