/**
 * Builder for `go` services: a Go program rigd builds from source in its artifact phase
 * (cached in RIG_DIR/cache/go by a hash of the module's files, flags and Go version,
 * shared by concurrent environments) and runs on the host.
 */
import { create } from "@bufbuild/protobuf";
import { GoConfigSchema } from "../gen/rig/v1/spec_pb.js";
import { HostProgramBuilder } from "./host-program-builder.js";
import type { ServiceConfig } from "./service-builder.js";

/** A Go program: `rig.go("./cmd/api")` or `rig.go("example.com/x/cmd/y@v1.2.3")`. */
export class GoBuilder extends HostProgramBuilder {
  readonly #pkg: string;
  readonly #buildFlags: string[] = [];

  constructor(pkg: string, args: readonly string[] = []) {
    super(args);
    if (!pkg) throw new TypeError('rig.go: the package must not be empty (e.g. "./cmd/api")');
    this.#pkg = pkg;
  }

  /** Adds `go build` flags (`-tags=integration`, `-race`); part of the cache key. */
  buildFlags(...flags: string[]): this {
    this.#buildFlags.push(...flags);
    return this;
  }

  protected override config(): ServiceConfig {
    return { case: "go", value: create(GoConfigSchema, { package: this.#pkg, buildFlags: [...this.#buildFlags], ...this.programFields() }) };
  }
}
