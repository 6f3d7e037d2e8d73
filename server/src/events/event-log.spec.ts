import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { TestNoteSchema } from "../gen/rig/v1/event_pb.js";
import { EventLog } from "./event-log.js";

const note = (message: string) => ({ case: "testNote", value: create(TestNoteSchema, { message }) }) as const;

describe("EventLog", () => {
  it("hands every event to the sink before followers see it, in seq order", async () => {
    const sunk: bigint[] = [];
    const log = new EventLog("env1", (e) => void sunk.push(e.seq));
    const seen: bigint[] = [];
    const following = (async () => {
      for await (const e of log.follow(0n, new AbortController().signal)) {
        assert.ok(sunk.includes(e.seq), "the sink saw the event first");
        seen.push(e.seq);
      }
    })();
    for (let i = 0; i < 50; i++) log.append("", note(`n${i}`));
    log.close();
    await following;
    assert.deepEqual(seen, sunk);
    assert.equal(seen.length, 50);
  });

  it("rejects an append whose sink throws, without using up its seq", () => {
    let fail = true;
    const log = new EventLog("env1", () => {
      if (fail) throw new Error("cannot encode");
    });
    assert.throws(() => log.append("", note("bad")), /cannot encode/);
    fail = false;
    const event = log.append("", note("good"));
    assert.equal(event.seq, 1n);
    assert.equal(log.lastSeq, 1n);
  });
});
