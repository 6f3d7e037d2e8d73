/**
 * Builds from source, cached on disk under `RIG_DIR/cache/<kind>/<hash>`: a build runs
 * once per hash, whoever asks (every environment of this rigd, and other rigds on the
 * same RIG_DIR). A build writes into a temp dir beside its entry and is renamed into
 * place only when it succeeded, so an entry is always complete; when two rigds race,
 * the first rename wins and the other build is thrown away. Concurrent requests for a
 * hash in one rigd share one build. Temp dirs a killed rigd left are swept once they are
 * older than any build (`STALE_BUILD_MS`).
 */
import { mkdir, mkdtemp, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

/** A temp dir this old is from a rigd that died mid-build. */
export const STALE_BUILD_MS = 6 * 60 * 60 * 1000;
const TEMP_PREFIX = ".building-";

/** What `BuildCache.get` found or made. */
export interface CachedBuild {
  /** The entry's directory: whatever the build wrote. */
  readonly dir: string;
  /** True when the entry existed already (no build ran for this request). */
  readonly cached: boolean;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** One kind of build's entries (`RIG_DIR/cache/go`, `RIG_DIR/cache/node`). */
export class BuildCache {
  private readonly inFlight = new Map<string, Promise<CachedBuild>>();
  private swept: Promise<void> | undefined;

  constructor(readonly root: string) {}

  /** The entry for `hash`: present already, or made by `build(dir)` into a fresh dir. */
  get(hash: string, build: (dir: string) => Promise<void>): Promise<CachedBuild> {
    const shared = this.inFlight.get(hash);
    if (shared) return shared.then((entry) => ({ ...entry, cached: true }));
    const work = this.make(hash, build).finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, work);
    return work;
  }

  private async make(hash: string, build: (dir: string) => Promise<void>): Promise<CachedBuild> {
    const dir = join(this.root, hash);
    if (await exists(dir)) return { dir, cached: true };
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await (this.swept ??= this.sweep());
    const temp = await mkdtemp(join(this.root, `${TEMP_PREFIX}${hash.slice(0, 12)}-`));
    try {
      await build(temp);
      try {
        await rename(temp, dir);
      } catch (err) {
        // Another rigd finished the same build first: its entry is as good as ours.
        if (!(await exists(dir))) throw err;
        return { dir, cached: true };
      }
      return { dir, cached: false };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  }

  /** Removes the temp dirs of builds that died with their rigd. */
  private async sweep(): Promise<void> {
    const now = Date.now();
    for (const name of await readdir(this.root)) {
      if (!name.startsWith(TEMP_PREFIX)) continue;
      const path = join(this.root, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_BUILD_MS) await rm(path, { recursive: true, force: true });
    }
  }
}
