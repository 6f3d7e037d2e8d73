/** Builder for `container` services: a Docker container with host-mapped ports (SPEC §5). */
import { create } from "@bufbuild/protobuf";
import { addEnv, type EnvInput } from "./env-input.js";
import { ContainerConfigSchema, ExecHookSchema, SharedContainerSchema, type SharedContainer } from "../gen/rig/v1/spec_pb.js";
import type { DurationInput } from "./duration.js";
import { BuildSource } from "./image-build.js";
import { toDuration } from "./duration.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** Options of `.shared(key)`. */
export interface SharedOptions {
  /** Commands run in the container between two leases. */
  readonly reset?: readonly (readonly string[])[];
  /** Remove the container after this long without a lease (default 60 s). */
  readonly idleTimeout?: DurationInput;
  /** Keep it running after rigd exits; a later rigd adopts it by its definition. */
  readonly reuse?: boolean;
}

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
  #shared: SharedContainer | undefined;

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
  env(keyOrVars: EnvInput, value?: string): this {
    addEnv(this.#env, keyOrVars, value);
    return this;
  }

  /** Time between the stop signal and kill at teardown (default 5 s). */
  stopTimeout(timeout: DurationInput): this {
    this.#stopTimeout = timeout;
    return this;
  }

  /**
   * Shares one container among the environments that name `key` with an identical
   * definition, one at a time: `reset` commands run between leases (e.g.
   * `["redis-cli", "FLUSHALL"]`), the container goes after `idleTimeout` (default 60 s)
   * without a lease, and with `reuse` it outlives rigd and a later rigd adopts it. Every
   * ingress needs its `containerPort`; a shared container has no egresses.
   */
  shared(key: string, options: SharedOptions = {}): this {
    this.#shared = create(SharedContainerSchema, {
      key,
      resetCommands: (options.reset ?? []).map((command) => create(ExecHookSchema, { command: [...command] })),
      idleTimeout: options.idleTimeout === undefined ? undefined : toDuration(options.idleTimeout, "shared idleTimeout"),
      reuse: options.reuse ?? false,
    });
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
        shared: this.#shared,
      }),
    };
  }
}
