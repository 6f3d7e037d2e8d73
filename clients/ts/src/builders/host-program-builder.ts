/**
 * What every program run on the host shares (process, go, node): arguments, environment,
 * working directory and stop grace. Concrete builders add what they run.
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import { addEnv, type EnvInput } from "./env-input.js";
import type { DurationInput } from "./duration.js";
import { toDuration } from "./duration.js";
import { ServiceBuilder } from "./service-builder.js";

/** The shared fields as the config messages spell them. */
export interface HostProgramFields {
  readonly args: string[];
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly stopGrace: Duration | undefined;
}

/**
 * A program on the host. Arguments may use `${VAR}` over the service's wiring (`${PORT}`,
 * `${API_HOST}`, `${RIG_TEMP_DIR}`, ...). It inherits the test's environment under the
 * wiring vars, and runs in the test's working directory unless `.dir()` says otherwise.
 */
export abstract class HostProgramBuilder extends ServiceBuilder {
  readonly #args: string[];
  readonly #env: Record<string, string> = {};
  #dir = "";
  #stopGrace: DurationInput | undefined;

  constructor(args: readonly string[]) {
    super();
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
  env(keyOrVars: EnvInput, value?: string): this {
    addEnv(this.#env, keyOrVars, value);
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

  /** The shared fields, for the concrete builder's config message. */
  protected programFields(): HostProgramFields {
    return {
      args: [...this.#args],
      dir: this.#dir,
      env: { ...this.#env },
      stopGrace: this.#stopGrace === undefined ? undefined : toDuration(this.#stopGrace, "stopGrace"),
    };
  }
}
