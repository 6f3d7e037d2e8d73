/**
 * Builder for func services: a function in the test process acts as a service (the
 * `client` type, SPEC §5). rigd allocates its ports, asks the test to start it through a
 * `start` callback, and checks its readiness like any other service.
 */
import { create } from "@bufbuild/protobuf";
import { ClientConfigSchema } from "../gen/rig/v1/spec_pb.js";
import type { FuncFn, HandlerRegistry } from "../callbacks/handlers.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** A service run by a function of the test process. Default ingress: `default`, http. */
export class FuncBuilder extends ServiceBuilder {
  readonly #fn: FuncFn;

  constructor(fn: FuncFn) {
    super();
    if (typeof fn !== "function") throw new TypeError("rig.func: expected a function");
    this.#fn = fn;
  }

  protected override config(name: string, registry: HandlerRegistry): ServiceConfig {
    const startHandler = registry.register(`${name}.start`, { kind: "start", fn: this.#fn });
    return { case: "client", value: create(ClientConfigSchema, { startHandler }) };
  }
}
