import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { EventSchema, RequestCompletedSchema } from "../gen/rig/v1/event_pb.js";
import { formatEvent, preciseMs } from "./event-text.js";

describe("event text", () => {
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
