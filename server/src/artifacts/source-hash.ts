/**
 * A content hash of a source tree, the cache key of builds from source: every regular
 * file's relative path, mode and bytes, in a stable order. Directories a build never
 * reads are skipped (`.git`, `node_modules`, names starting with `.` or `_`, as the Go
 * tool skips them), and so are any the caller names (nested Go modules, build outputs).
 */
import { createHash, type Hash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative } from "node:path";

/** Options of `hashTree`. */
export interface TreeHashOptions {
  /** Skips a directory (besides the always-skipped ones); gets its absolute path. */
  readonly skipDir?: (dir: string) => boolean | Promise<boolean>;
  /** Keeps only the files it accepts; gets the file's name. Default: every file. */
  readonly file?: (name: string) => boolean;
}

/** Directory names no build reads: VCS data, installed packages, hidden and `_` dirs. */
function alwaysSkipped(name: string): boolean {
  return name === "node_modules" || name.startsWith(".") || name.startsWith("_");
}

/** Feeds the files under `root` into `hash`, relative to `root`, sorted by path. */
export async function hashTreeInto(hash: Hash, root: string, options: TreeHashOptions = {}): Promise<number> {
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (alwaysSkipped(entry.name) || (await options.skipDir?.(path))) continue;
        await walk(path);
      } else if (entry.isFile() && (options.file?.(entry.name) ?? true)) {
        const [bytes, info] = await Promise.all([readFile(path), stat(path)]);
        hash.update(`${relative(root, path)}\0${info.mode & 0o111 ? "x" : "-"}\0${bytes.length}\0`);
        hash.update(bytes);
        files++;
      }
    }
  };
  await walk(root);
  return files;
}

/** The hex SHA-256 of the files under `root` (see `hashTreeInto`). */
export async function hashTree(root: string, options: TreeHashOptions = {}): Promise<string> {
  const hash = createHash("sha256");
  await hashTreeInto(hash, root, options);
  return hash.digest("hex");
}
