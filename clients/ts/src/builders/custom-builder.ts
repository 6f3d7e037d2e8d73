/** Builder for services of a type provided by a rigd plugin (the `custom` config). */
import { create } from "@bufbuild/protobuf";
import type { JsonObject } from "@bufbuild/protobuf";
import { CustomConfigSchema } from "../gen/rig/v1/spec_pb.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** A service of a plugin type, configured with a JSON object. */
export class CustomBuilder extends ServiceBuilder {
  readonly #type: string;
  readonly #config: JsonObject;

  constructor(type: string, config: JsonObject = {}) {
    super();
    if (!type) throw new TypeError("rig.custom: type must not be empty");
    this.#type = type;
    this.#config = config;
  }

  protected override config(): ServiceConfig {
    return {
      case: "custom",
      value: create(CustomConfigSchema, { type: this.#type, config: this.#config }),
    };
  }
}
