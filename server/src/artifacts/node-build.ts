/**
 * The build step of the `node` type (`npm run build`, `tsc -b`), skipped while the
 * package's files are exactly as its last successful build left them.
 *
 * A build writes into the tree it reads (dist/, *.tsbuildinfo), so its inputs cannot be
 * told from its outputs; instead, after a successful build rig hashes the whole tree
 * (`source-hash.ts`: node_modules and dot dirs left out) and records that hash under
 * `RIG_DIR/cache/node/`. The next request hashes the tree again: the same hash means
 * nothing changed since that build, any edit (a source, package-lock.json, a deleted
 * output) means build again.
 */
import { createHash } from "node:crypto";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runBuildCommand } from "./build-command.js";
import { hashTree } from "./source-hash.js";

/** What to build. */
export interface NodeBuildRequest {
  /** The package dir: where the command runs and whose files are hashed. */
  readonly dir: string;
  /** The command and its arguments. */
  readonly command: readonly string[];
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The outcome: whether the build ran, and the tree hash it is recorded under. */
export interface NodeBuild {
  readonly cached: boolean;
  readonly hash: string;
}

/** The builds of one rigd, recorded in `cacheRoot/node`. */
export class NodeBuilder {
  private readonly root: string;

  constructor(cacheRoot: string) {
    this.root = join(cacheRoot, "node");
  }

  /** Runs the build unless the tree is as a successful build of the same command left it. */
  async build(request: NodeBuildRequest): Promise<NodeBuild> {
    const before = await this.stateOf(request);
    if (await stat(join(this.root, before)).then(() => true, () => false)) return { cached: true, hash: before };
    const [command, ...args] = request.command as [string, ...string[]];
    await runBuildCommand(`build \`${request.command.join(" ")}\` in ${request.dir}`, command, args, { cwd: request.dir, env: request.env });
    const after = await this.stateOf(request);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await writeFile(join(this.root, after), `${request.dir}\n${request.command.join(" ")}\n`);
    return { cached: false, hash: after };
  }

  /** The record name of the tree's current state under this command. */
  private async stateOf(request: NodeBuildRequest): Promise<string> {
    const tree = await hashTree(request.dir);
    return createHash("sha256").update(`${request.dir}\0${request.command.join("\0")}\0${tree}`).digest("hex").slice(0, 32);
  }
}
