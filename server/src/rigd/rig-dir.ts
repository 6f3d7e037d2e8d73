/**
 * RIG_DIR: where rigd keeps its cache, logs, scratch space, addr file and log
 * (SPEC §6). Default `~/.rig`; the `RIG_DIR` environment variable overrides the default
 * and `--rig-dir` overrides both.
 */
import { readFileSync } from "node:fs";
import { bundledVersion } from "../os/rigd-bundle.js";
import { chmod, readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { ensurePrivateDir } from "../os/private-dir.js";

/** Sub-directories rigd creates in RIG_DIR (`run` holds the pid records). */
export const RIG_SUBDIRS = ["cache", "logs", "tmp", "run"] as const;

/** The RIG_DIR to use given the flag value and the environment. */
export function resolveRigDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = flag ?? (env.RIG_DIR ? env.RIG_DIR : path.join(os.homedir(), ".rig"));
  return path.resolve(chosen);
}

/**
 * Creates RIG_DIR and its sub-directories (idempotent), all `0700` and owned by us:
 * wider modes are tightened, a RIG_DIR owned by another user is refused
 * (ForeignOwnerError). rigd's own logs are made `0600` if they already exist.
 */
export async function prepareRigDir(rigDir: string): Promise<void> {
  await ensurePrivateDir(rigDir);
  await Promise.all(RIG_SUBDIRS.map((sub) => ensurePrivateDir(path.join(rigDir, sub))));
  // Logs an older rigd left with a wider mode.
  const logs = (await readdir(rigDir)).filter((name) => /^rigd.*\.log$/.test(name));
  await Promise.all(logs.map((name) => chmod(path.join(rigDir, name), 0o600).catch(() => {})));
}

let cachedVersion: string | undefined;

/** The rigd version, from server/package.json (same in src/ and dist/ layouts), or the bundle's. */
export function rigdVersion(): string {
  if (bundledVersion !== undefined) return bundledVersion;
  cachedVersion ??= (
    JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }
  ).version;
  return cachedVersion;
}

/**
 * The default addr file: version-specific, so rigd versions coexist and SDKs find the
 * one they were built for.
 */
export function defaultAddrFile(rigDir: string, version: string = rigdVersion()): string {
  return path.join(rigDir, `rigd-${version}.addr`);
}
