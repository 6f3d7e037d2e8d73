/** Builder for `process` services: any executable run on the host (SPEC §5). */
import { create } from "@bufbuild/protobuf";
import { ProcessConfigSchema } from "../gen/rig/v1/spec_pb.js";
import type { DurationInput } from "./duration.js";
import { toDuration } from "./duration.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/**
 * A host process. Arguments may use `${VAR}` over the service's wiring (`${PORT}`,
 * `${API_HOST}`, `${RIG_TEMP_DIR}`, ...). It inherits the test's environment under the
 * wiring vars, and runs in the test's working directory unless `.dir()` says otherwise.
 */
export class ProcessBuilder extends ServiceBuilder {
  readonly #command: string;
  readonly #args: string[];
  readonly #env: Record<string, string> = {};
  #dir = "";
  #stopGrace: DurationInput | undefined;

  constructor(command: string, args: readonly string[] = []) {
    super();
    if (!command) throw new TypeError("rig.process: command must not be empty");
    this.#command = command;
    this.#args = [...args];
  }

  /** Appends arguments. */
  args(...args: string[]): this {
    this.#args.push(...args);
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

  /** Working directory; a relative path resolves against the test's working directory. */
  dir(path: string): this {
    this.#dir = path;
    return this;
  }

  /** Time between SIGTERM and SIGKILL at teardown (default 5 s). */
  stopGrace(grace: DurationInput): this {
    this.#stopGrace = grace;
    return this;
  }

  protected override config(): ServiceConfig {
    return {
      case: "process",
      value: create(ProcessConfigSchema, {
        command: this.#command,
        args: this.#args,
        dir: this.#dir,
        env: { ...this.#env },
        stopGrace: this.#stopGrace === undefined ? undefined : toDuration(this.#stopGrace, "stopGrace"),
      }),
    };
  }
}
