/**
 * Builder for `node` services: a Node.js script run on the host, TypeScript directly
 * through Node's type stripping, optionally after a build command that rigd skips while
 * the package's files are as its last successful build left them.
 */
import { create } from "@bufbuild/protobuf";
import { NodeConfigSchema } from "../gen/rig/v1/spec_pb.js";
import { ProcessBuilder } from "./process-builder.js";
import type { ServiceConfig } from "./service-builder.js";

/**
 * A Node.js script: `rig.node("./src/server.ts")`. Runs with the test's own node unless
 * `.nodeBinary()` says otherwise. A `ProcessBuilder` (the process of node), so code that
 * typed `rig.node(...)` as one, from before the node type, still compiles.
 */
export class NodeBuilder extends ProcessBuilder {
  readonly #script: string;
  #build: string[] = [];
  #node = process.execPath;
  readonly #nodeOptions: string[] = [];

  constructor(script: string, args: readonly string[] = []) {
    super(process.execPath, args);
    if (!script) throw new TypeError('rig.node: the script must not be empty (e.g. "./src/server.ts")');
    this.#script = script;
  }

  /** A command run in the working dir before the script starts: `.build("npm", "run", "build")`. */
  build(...command: string[]): this {
    this.#build = command;
    return this;
  }

  /** The node executable (default: the one running this test). */
  nodeBinary(path: string): this {
    this.#node = path;
    return this;
  }

  /** Options of node before the script (`--enable-source-maps`). */
  nodeOptions(...options: string[]): this {
    this.#nodeOptions.push(...options);
    return this;
  }

  protected override config(): ServiceConfig {
    return {
      case: "node",
      value: create(NodeConfigSchema, {
        script: this.#script,
        build: [...this.#build],
        node: this.#node,
        nodeOptions: [...this.#nodeOptions],
        ...this.programFields(),
      }),
    };
  }
}
