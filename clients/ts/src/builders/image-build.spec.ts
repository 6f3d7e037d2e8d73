import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toJson } from "@bufbuild/protobuf";
import { HandlerRegistry } from "../callbacks/handlers.js";
import { EnvironmentSpecSchema } from "../gen/rig/v1/spec_pb.js";
import { rig } from "../index.js";
import { buildSpec } from "../spec/build-spec.js";

describe("rig.build", () => {
  test("rig.container(rig.build(...)) sends the build instead of an image", () => {
    const spec = buildSpec(
      { api: rig.container(rig.build("./images/api", { dockerfile: "Dockerfile.test", args: { V: "1" }, target: "runtime" })) },
      { dir: "/work" },
      new HandlerRegistry(),
    );
    const json = toJson(EnvironmentSpecSchema, spec) as { services: { container: unknown }[] };
    assert.deepEqual(json.services[0]?.container, {
      build: { context: "./images/api", dockerfile: "Dockerfile.test", args: { V: "1" }, target: "runtime" },
    });
  });

  test("an empty context is refused at once", () => {
    assert.throws(() => rig.build(""), /rig.build: the context directory must not be empty/);
  });
});

describe("container.shared", () => {
  test("sends the key, reset commands, idle timeout and reuse", () => {
    const spec = buildSpec(
      { cache: rig.container("redis:7").ingress({ containerPort: 6379 }).shared("suite", { reset: [["redis-cli", "FLUSHALL"]], idleTimeout: "2m", reuse: true }) },
      { dir: "/work" },
      new HandlerRegistry(),
    );
    const json = toJson(EnvironmentSpecSchema, spec) as { services: { container: unknown }[] };
    assert.deepEqual(json.services[0]?.container, {
      image: "redis:7",
      shared: { key: "suite", resetCommands: [{ command: ["redis-cli", "FLUSHALL"] }], idleTimeout: "120s", reuse: true },
    });
  });
});
