import assert from "node:assert/strict";
import { it } from "node:test";
import { kafkaClusterId } from "./kafka-broker.js";

it("a Kafka cluster id is 22 base64url characters and never starts with '-' (the storage tool would read an option)", () => {
  // With a plain base64url id, one in 64 starts with "-": ~300 of these would.
  const ids = Array.from({ length: 20_000 }, kafkaClusterId);
  for (const id of ids) assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  assert.equal(new Set(ids).size, ids.length);
});
