/**
 * Directories only their owner can enter: created `0700`, tightened to `0700` when they
 * exist with wider permissions, refused when another user owns them (that user could
 * read or swap whatever we put there).
 */
import { chmod, lstat, mkdir } from "node:fs/promises";

/** The directory is owned by someone else; using it would hand them our secrets. */
export class ForeignOwnerError extends Error {
  constructor(
    readonly dir: string,
    readonly ownerUid: number,
  ) {
    super(
      `${dir} is owned by uid ${ownerUid}, not by the user running rigd (uid ${process.getuid?.()}); ` +
        `refusing to use it: pick a RIG_DIR of your own (--rig-dir or RIG_DIR)`,
    );
    this.name = "ForeignOwnerError";
  }
}

/** Ensures `dir` exists, is a directory owned by us and has mode `0700`. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const stat = await lstat(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && stat.uid !== uid) throw new ForeignOwnerError(dir, stat.uid);
  if ((stat.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}
