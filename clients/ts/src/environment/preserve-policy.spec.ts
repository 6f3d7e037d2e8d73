/** RIG_PRESERVE and RIG_PRESERVE_ON_FAILURE, and the option that overrides them. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { preservePolicy } from "./preserve-policy.js";

test("environment variables decide unless the option does", () => {
  assert.equal(preservePolicy(undefined, {})(true), false);
  assert.equal(preservePolicy(undefined, { RIG_PRESERVE: "1" })(false), true);
  assert.equal(preservePolicy(undefined, { RIG_PRESERVE: "false" })(true), false);
  assert.equal(preservePolicy(undefined, { RIG_PRESERVE_ON_FAILURE: "true" })(false), false);
  assert.equal(preservePolicy(undefined, { RIG_PRESERVE_ON_FAILURE: "true" })(true), true);
  assert.equal(preservePolicy(false, { RIG_PRESERVE: "1" })(true), false);
  assert.equal(preservePolicy("on-failure", {})(true), true);
  assert.equal(preservePolicy("on-failure", {})(false), false);
});
