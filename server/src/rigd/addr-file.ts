/**
 * The addr file tells SDKs where a running rigd listens. It is written atomically
 * (temp file + rename) so a reader never sees a half-written address, and removed only
 * when it still names this rigd (another rigd may have replaced it).
 */
import { readFile, rename, rm, writeFile } from "node:fs/promises";

/** Atomically writes `address` followed by a newline. */
export async function writeAddrFile(file: string, address: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, `${address}\n`, { mode: 0o600 });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Removes the file if it still holds `address`; returns whether it did. */
export async function removeAddrFileIfOurs(file: string, address: string): Promise<boolean> {
  let content: string;
  try {
    content = await readFile(file, "utf8");
  } catch {
    return false;
  }
  if (content.trim() !== address) return false;
  await rm(file, { force: true });
  return true;
}
