/**
 * Builder for `redis` services: a database number leased from a pooled server, flushed
 * on release (SPEC §5). Fixed tcp ingress on 6379 with a REDIS_URL attribute.
 */
import { create } from "@bufbuild/protobuf";
import { RedisConfigSchema } from "../gen/rig/v1/spec_pb.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** A Redis database of its own for this environment. */
export class RedisBuilder extends ServiceBuilder {
  #image = "";

  /**
   * Server image. Default: RIG_REDIS_IMAGE of the test process when set (so a rigd shared
   * with other tests still follows this test's setting), else rigd's own default.
   */
  image(image: string): this {
    this.#image = image;
    return this;
  }

  protected override config(): ServiceConfig {
    return { case: "redis", value: create(RedisConfigSchema, { image: this.#image || process.env["RIG_REDIS_IMAGE"] || "" }) };
  }
}
