/** Builder for `container` services: a Docker container with host-mapped ports (SPEC §5). */
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema, ExecHookSchema } from "../gen/rig/v1/spec_pb.js";
import type { DurationInput } from "./duration.js";
import { BuildSource } from "./image-build.js";
import { toDuration } from "./duration.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/**
 * A container from an image (pulled only when not present locally) or from
 * `rig.build(...)` (built from a Dockerfile). Map ports with `.ingress(name, { containerPort })`.
 */
export class ContainerBuilder extends ServiceBuilder {
  readonly #image: string | BuildSource;
  readonly #cmd: string[] = [];
  readonly #entrypoint: string[] = [];
  readonly #env: Record<string, string> = {};
  #stopTimeout: DurationInput | undefined;

  constructor(image: string | BuildSource) {
    super();
    if (!image) throw new TypeError("rig.container: image must not be empty");
    this.#image = image;
  }

  /** Appends to the container's command (Docker CMD); `${VAR}` expands over the wiring. */
  args(...args: string[]): this {
    this.#cmd.push(...args);
    return this;
  }

  /** Replaces the image's entrypoint. */
  entrypoint(...entrypoint: string[]): this {
    this.#entrypoint.splice(0, this.#entrypoint.length, ...entrypoint);
    return this;
  }

  /** Sets environment variables: `.env("KEY", "value")` or `.env({ KEY: "value" })`. */
  env(key: string, value: string): this;
  env(vars: Readonly<Record<string, string>>): this;
  env(keyOrVars: string | Readonly<Record<string, string>>, value?: string): this {
    if (typeof keyOrVars === "string") this.#env[keyOrVars] = value ?? "";
    else Object.assign(this.#env, keyOrVars);
    return this;
  }

  /** Time between the stop signal and kill at teardown (default 5 s). */
  stopTimeout(timeout: DurationInput): this {
    this.#stopTimeout = timeout;
    return this;
  }

  /** Runs a command inside the container once it is healthy (an `exec` init hook run by rigd). */
  initExec(...command: string[]): this {
    return this.addServerHook("init", { case: "exec", value: create(ExecHookSchema, { command }) });
  }

  protected override config(): ServiceConfig {
    return {
      case: "container",
      value: create(ContainerConfigSchema, {
        ...(this.#image instanceof BuildSource ? { build: this.#image.toProto() } : { image: this.#image }),
        cmd: this.#cmd,
        entrypoint: this.#entrypoint,
        env: { ...this.#env },
        stopTimeout: this.#stopTimeout === undefined ? undefined : toDuration(this.#stopTimeout, "stopTimeout"),
      }),
    };
  }
}
