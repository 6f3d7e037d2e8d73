/** `rig.build(...)`: an image built from a Dockerfile, for `rig.container(...)`. */
import { create } from "@bufbuild/protobuf";
import { ImageBuildSchema, type ImageBuild } from "../gen/rig/v1/spec_pb.js";

/** How to build: everything optional. */
export interface BuildOptions {
  /** Dockerfile path relative to the context (default `Dockerfile`). */
  readonly dockerfile?: string;
  /** Build arguments (ARG). */
  readonly args?: Readonly<Record<string, string>>;
  /** Build stage to stop at (default the last). */
  readonly target?: string;
  /** Repository part of the tag `rig-build/<name>:<hash>` (default the context directory's name). */
  readonly name?: string;
}

/**
 * An image rigd builds from `context` once per content hash (files minus .dockerignore,
 * Dockerfile, args, target), shared by concurrent environments and kept between runs.
 */
export class BuildSource {
  readonly #message: ImageBuild;

  constructor(context: string, options: BuildOptions = {}) {
    if (!context) throw new TypeError("rig.build: the context directory must not be empty");
    this.#message = create(ImageBuildSchema, {
      context,
      dockerfile: options.dockerfile ?? "",
      args: { ...options.args },
      target: options.target ?? "",
      name: options.name ?? "",
    });
  }

  /** The API message (relative contexts resolve against the spec's dir, the test's cwd). */
  toProto(): ImageBuild {
    return create(ImageBuildSchema, { ...this.#message, args: { ...this.#message.args } });
  }
}
