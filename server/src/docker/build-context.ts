/**
 * The files of a Docker build context, as the engine will see them (.dockerignore
 * applied), and the two fingerprints rig keys image builds on:
 *
 * - `fingerprint`: paths, sizes, modes and mtimes, read synchronously (no file contents),
 *   cheap enough to compute when an environment lists its artifacts. A change makes a new
 *   artifact key, so the rigd-wide artifact cache never hides an edit.
 * - `contentHash`: file contents, Dockerfile, args and target; it names the image
 *   (`rig-build/<name>:<hash>`), so an edit that changes nothing (a touch) or a rigd restart
 *   finds the image already built.
 */
import type { Ignore } from "@balena/dockerignore";
import { inRigdBundle } from "../os/rigd-bundle.js";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { lstatSync, readdirSync, readFileSync, type Stats } from "node:fs";
import { readFile, readlink } from "node:fs/promises";
import { join } from "node:path";

// A CommonJS module whose typings declare an ES default export: load it as what it is.
// A CommonJS package; see os/rigd-bundle.ts. Required at the first build, not at rigd's start.
const dockerignore = (): ((options?: { ignorecase?: boolean }) => Ignore) =>
  (inRigdBundle ? require("@balena/dockerignore") : createRequire(import.meta.url)("@balena/dockerignore")) as (options?: { ignorecase?: boolean }) => Ignore;

/** Beyond these, hashing a context would stall rigd: the error asks for a .dockerignore. */
const MAX_FILES = 20_000;
const MAX_BYTES = 1024 * 1024 * 1024;

/** What is built besides the files. */
export interface BuildInputs {
  /** Dockerfile path relative to the context. */
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string;
}

/** One file (or symlink) of a context. */
interface ContextEntry {
  /** Relative, `/`-separated. */
  readonly path: string;
  readonly stats: Stats;
}

/** A listed build context. */
export interface BuildContext {
  readonly root: string;
  /** Relative paths of the files and symlinks the engine gets, sorted. */
  readonly files: readonly string[];
  /** Stat-level fingerprint of the files and the inputs (hex). */
  readonly fingerprint: string;
  readonly entries: readonly ContextEntry[];
}

/** Lists `root` minus .dockerignore; throws with what to fix when it is missing or too big. */
export function listBuildContext(root: string, inputs: BuildInputs): BuildContext {
  let rootStats: Stats;
  try {
    rootStats = lstatSync(root);
  } catch {
    throw new Error(`build context ${root} does not exist`);
  }
  if (!rootStats.isDirectory()) throw new Error(`build context ${root} is not a directory`);
  const ignore = readIgnore(root);
  // A negated pattern may re-include a file below an ignored directory: walk those too.
  const pruneIgnoredDirs = !ignore.negates;
  const entries: ContextEntry[] = [];
  let bytes = 0;
  const walk = (dir: string, prefix: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const path = prefix ? `${prefix}/${name}` : name;
      const stats = lstatSync(join(dir, name));
      if (stats.isDirectory()) {
        if (!(pruneIgnoredDirs && ignore.ignores(path))) walk(join(dir, name), path);
        continue;
      }
      if (ignore.ignores(path) && path !== inputs.dockerfile) continue;
      if (!stats.isFile() && !stats.isSymbolicLink()) continue;
      entries.push({ path, stats });
      bytes += stats.size;
      if (entries.length > MAX_FILES || bytes > MAX_BYTES) {
        throw new Error(
          `build context ${root} has more than ${entries.length > MAX_FILES ? `${MAX_FILES} files` : "1 GiB"}: ` +
            "list what the build does not need in its .dockerignore",
        );
      }
    }
  };
  walk(root, "");
  if (!entries.some((e) => e.path === inputs.dockerfile)) {
    throw new Error(`build context ${root} has no ${inputs.dockerfile} (the Dockerfile must be inside the context)`);
  }
  const hash = createHash("sha256").update(inputsJson(inputs));
  for (const { path, stats } of entries) hash.update(`${path}\0${stats.size}\0${stats.mode}\0${stats.mtimeMs}\n`);
  return { root, files: entries.map((e) => e.path), entries, fingerprint: hash.digest("hex").slice(0, 16) };
}

/** Content hash of a listed context and its inputs (hex, 16 characters). */
export async function contentHash(context: BuildContext, inputs: BuildInputs): Promise<string> {
  const hash = createHash("sha256").update(inputsJson(inputs));
  for (const { path, stats } of context.entries) {
    const full = join(context.root, path);
    const body = stats.isSymbolicLink() ? `link:${await readlink(full)}` : createHash("sha256").update(await readFile(full)).digest("hex");
    // Only the executable bits matter to a build (COPY keeps them); not the rest of the mode.
    hash.update(`${path}\0${stats.mode & 0o111 ? "x" : "-"}\0${body}\n`);
  }
  return hash.digest("hex").slice(0, 16);
}

function inputsJson(inputs: BuildInputs): string {
  const args = Object.entries(inputs.args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ dockerfile: inputs.dockerfile, args, target: inputs.target });
}

function readIgnore(root: string): { ignores(path: string): boolean; readonly negates: boolean } {
  let text: string;
  try {
    text = readFileSync(join(root, ".dockerignore"), "utf8");
  } catch {
    return { ignores: () => false, negates: false };
  }
  const rules = dockerignore()({ ignorecase: false }).add(text);
  return { ignores: (path) => rules.ignores(path), negates: /^\s*!/m.test(text) };
}
