/**
 * Builder for `temporal` services: a namespace of its own per environment on rigd's
 * pooled Temporal dev server (the Temporal CLI's `server start-dev`), deleted at
 * teardown. Its gRPC ingress publishes TEMPORAL_ADDRESS (host:port) and TEMPORAL_NAMESPACE.
 */
import { create } from "@bufbuild/protobuf";
import { TemporalConfigSchema } from "../gen/rig/v1/spec_pb.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** A Temporal namespace of its own. */
export class TemporalBuilder extends ServiceBuilder {
  #version = "";

  /** The Temporal CLI version whose dev server runs ("v1.5.1"); default: rigd's pinned one. */
  version(version: string): this {
    this.#version = version;
    return this;
  }

  protected override config(): ServiceConfig {
    return { case: "temporal", value: create(TemporalConfigSchema, { version: this.#version }) };
  }
}
