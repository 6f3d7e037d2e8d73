/** Builder for `process` services: any executable run on the host (SPEC §5). */
import { create } from "@bufbuild/protobuf";
import { ProcessConfigSchema } from "../gen/rig/v1/spec_pb.js";
import { HostProgramBuilder } from "./host-program-builder.js";
import type { ServiceConfig } from "./service-builder.js";

/**
 * A host process. Arguments may use `${VAR}` over the service's wiring (`${PORT}`,
 * `${API_HOST}`, `${RIG_TEMP_DIR}`, ...). It inherits the test's environment under the
 * wiring vars, and runs in the test's working directory unless `.dir()` says otherwise.
 */
export class ProcessBuilder extends HostProgramBuilder {
  readonly #command: string;

  constructor(command: string, args: readonly string[] = []) {
    super(args);
    if (!command) throw new TypeError("rig.process: command must not be empty");
    this.#command = command;
  }

  protected override config(): ServiceConfig {
    return { case: "process", value: create(ProcessConfigSchema, { command: this.#command, ...this.programFields() }) };
  }
}
