import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, equals, toJsonString } from "@bufbuild/protobuf";
import { TimestampSchema, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, RequestCompletedSchema, TestNoteSchema } from "../gen/rig/v1/event_pb.js";
import { EventLog } from "./event-log.js";

const note = (message: string) => ({ case: "testNote", value: create(TestNoteSchema, { message }) }) as const;
const request = (path: string) => ({ case: "requestCompleted", value: create(RequestCompletedSchema, { method: "GET", path, status: 200 }) }) as const;

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

  it("wakes each follower for what it wants: one leaving traffic out sleeps through requests and gets the next note", async () => {
    const log = new EventLog("env1");
    const abort = new AbortController();
    const lifecycle: string[] = [];
    const everything: string[] = [];
    const withoutTraffic = (async () => {
      for await (const e of log.follow(0n, abort.signal, { includeLogs: false, excludeTraffic: true })) lifecycle.push(e.type);
    })();
    const all = (async () => {
      for await (const e of log.follow(0n, abort.signal)) everything.push(e.type);
    })();
    log.append("", note("first"));
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 100; i++) {
      log.append("web", request(`/${i}`));
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    log.append("", note("after the traffic"));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lifecycle, ["test.note", "test.note"]);
    assert.equal(everything.length, 102);
    // A follower that was never woken still ends when its signal aborts, and at close.
    log.append("web", request("/last"));
    abort.abort();
    await Promise.all([withoutTraffic, all]);
    const late = (async () => {
      const seen: string[] = [];
      for await (const e of log.follow(log.lastSeq, new AbortController().signal, { includeLogs: false, excludeTraffic: true })) seen.push(e.type);
      return seen;
    })();
    log.append("web", request("/after"));
    log.close();
    assert.deepEqual(await late, []);
  });

  it("stamps each event with the time it was appended, a Timestamp protobuf-es accepts as its own", () => {
    const log = new EventLog("env1");
    const before = Date.now();
    const event = log.append("", note("now"));
    const after = Date.now();
    const ms = timestampMs(event.time!);
    assert.ok(ms >= before && ms <= after, `${ms} within [${before}, ${after}]`);
    assert.ok(equals(TimestampSchema, event.time!, timestampFromMs(ms)));
    assert.match(toJsonString(EventSchema, event), /"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z"/);
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
