import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { EventSchema, RequestCompletedSchema } from "../gen/rig/v1/event_pb.js";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { utcClock, formatEvent, preciseMs } from "./event-text.js";

describe("event text", () => {
  it("writes clock times as toISOString does, without a Date per line", () => {
    const samples = [0, 1, 999, 1_000, 59_999, 86_399_999, 86_400_000, 1_764_777_600_123, -1, -86_400_001];
    for (let i = 0; i < 500; i++) samples.push(Math.floor((Math.random() - 0.2) * 4e12));
    for (const ms of samples) {
      for (const extraNanos of [0, 499_999, 500_000, 999_999]) {
        const time = { ...timestampFromMs(ms), nanos: 0 };
        const seconds = Math.floor(ms / 1000);
        time.seconds = BigInt(seconds);
        time.nanos = (ms - seconds * 1000) * 1_000_000 + extraNanos;
        assert.equal(utcClock(time), timestampDate(time).toISOString().slice(11, 23), `${ms} ms + ${extraNanos} ns`);
      }
    }
  });

  it("keeps the fractions of a millisecond in traffic latencies", () => {
    assert.equal(preciseMs({ $typeName: "google.protobuf.Duration", seconds: 0n, nanos: 380_651 }), 0.380651);
    assert.equal(preciseMs({ $typeName: "google.protobuf.Duration", seconds: 2n, nanos: 700_000_000 }), 2700);
    const line = (nanos: number): string =>
      formatEvent(
        create(EventSchema, {
          service: "~proxy.~test.web.default",
          payload: {
            case: "requestCompleted",
            value: create(RequestCompletedSchema, { source: "~test", target: "web", ingress: "default", method: "GET", path: "/", status: 200, latency: { seconds: 0n, nanos } }),
          },
        }),
      );
    assert.match(line(380_651), / http ~test -> web GET \/ 200 0\.38 ms$/);
    assert.match(line(2_740_000), / GET \/ 200 2\.7 ms$/);
  });
});
