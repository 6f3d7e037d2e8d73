import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { HandlerRegistry } from "../callbacks/handlers.js";
import { EnvironmentSpecSchema } from "../gen/rig/v1/spec_pb.js";
import { rig } from "../index.js";
import { buildSpec } from "../spec/build-spec.js";

describe("rig.wait", () => {
  test("a wait as `ready` replaces the protocol check; `waits` adds to it", () => {
    const spec = buildSpec(
      {
        a: rig.container("img").ingress({ containerPort: 80, ready: rig.wait.allOf(rig.wait.log(/listening on \d+/, { times: 2 }), rig.wait.healthcheck()) }),
        b: rig.process("./b").ingress({ ready: { path: "/healthz", waits: [rig.wait.http("/ready", { status: 204, body: "ok" }), rig.wait.command(["true"], { onHost: true })] } }),
      },
      { dir: "/work" },
      new HandlerRegistry(),
    );
    const json = toJson(EnvironmentSpecSchema, spec) as { services: { ingresses: { ready: unknown }[] }[] };
    assert.deepEqual(json.services[0]?.ingresses[0]?.ready, {
      kind: "READINESS_KIND_NONE",
      waits: [{ log: { pattern: "listening on \\d+", times: 2 } }, { healthcheck: {} }],
    });
    assert.deepEqual(json.services[1]?.ingresses[0]?.ready, {
      kind: "READINESS_KIND_HTTP",
      httpPath: "/healthz",
      waits: [{ http: { path: "/ready", status: 204, bodyPattern: "ok" } }, { command: { command: ["true"], onHost: true } }],
    });
  });

  test("regular expression flags are refused (rigd matches without them)", () => {
    assert.throws(() => rig.wait.log(/x/i), /rig.wait.log: regular expression flags \(i\) are not supported/);
  });
});
