/**
 * Where rigd is and where its files go: the command that starts it (RIG_RIGD, rigd on
 * PATH, the @rig/server package, or the checkout's server/dist/main.js), its version, and the version-specific addr and lock
 * files under RIG_DIR (SPEC §6, §10).
 */
import { accessSync, constants, existsSync, readFileSync, realpathSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Node flags rigd runs with (server/src/rigd/node-flags.ts says why; the Go and Python
 * SDKs and rigd's own shebang give the same). V8 can size its young generation only when
 * it starts.
 */
export const RIGD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=32", "--min-semi-space-size=32"];

/** How to start rigd. */
export interface RigdCommand {
  /** Executable to spawn (process.execPath for a JavaScript entry). */
  readonly command: string;
  /** Arguments before rigd's own flags (the entry script for a JavaScript entry). */
  readonly args: readonly string[];
  /** rigd's version; it names the addr and lock files. */
  readonly version: string;
}

/** The per-version files rigd and its clients share under RIG_DIR. */
export interface RigdFiles {
  readonly rigDir: string;
  /** Holds `127.0.0.1:PORT` (or `unix:/path`) once rigd serves. */
  readonly addrFile: string;
  /** rigd's token (`0600`), written before the addr file. */
  readonly tokenFile: string;
  /** Taken by a client while it starts rigd. */
  readonly lockFile: string;
  /** rigd's stdout and stderr (startup crashes land here; its structured log is rigd-<version>.log beside the addr file). */
  readonly outputFile: string;
}

// dist/daemon/rigd-location.js -> the package root (clients/ts) -> the repository root.
const packageRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * rigd's command, the first of: `RIG_RIGD`; `rigd` on PATH; the `@rig/server` package
 * this SDK depends on (Node module resolution of `@rig/server/rigd`); the checkout's
 * server/dist/main.js. A JavaScript entry (a `rigd` on PATH that links to one too) runs
 * with this Node.
 */
export function locateRigd(env: NodeJS.ProcessEnv = process.env): RigdCommand {
  const entry = env.RIG_RIGD
    ? resolve(env.RIG_RIGD)
    : (rigdOnPath(env) ?? serverPackageEntry() ?? resolve(packageRoot, "..", "..", "server", "dist", "main.js"));
  const isScript = [".js", ".mjs", ".cjs"].includes(extname(entry));
  return {
    command: isScript ? process.execPath : entry,
    args: isScript ? [...RIGD_NODE_FLAGS, entry] : [],
    version: versionNear(entry) ?? versionOf(join(packageRoot, "package.json")) ?? "0.0.0",
  };
}

/** The real path of the first `rigd` on PATH, if any. */
function rigdOnPath(env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, "rigd");
    try {
      accessSync(candidate, constants.X_OK);
      return realpathSync(candidate);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** rigd's entry in the installed `@rig/server` package, found as Node finds modules. */
function serverPackageEntry(): string | undefined {
  try {
    const entry = fileURLToPath(import.meta.resolve("@rig/server/rigd"));
    return existsSync(entry) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** RIG_DIR, default ~/.rig. */
export function rigDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.RIG_DIR || join(homedir(), ".rig"));
}

/** The addr, lock and output files of one rigd version. */
export function rigdFiles(dir: string, version: string): RigdFiles {
  return {
    rigDir: dir,
    addrFile: join(dir, `rigd-${version}.addr`),
    tokenFile: tokenFileFor(join(dir, `rigd-${version}.addr`)),
    lockFile: join(dir, `rigd-${version}.lock`),
    outputFile: join(dir, `rigd-${version}.out`),
  };
}

/** The token file beside an addr file (`rigd-0.1.0.addr` -> `rigd-0.1.0.token`), as rigd names it. */
export function tokenFileFor(addrFile: string): string {
  return addrFile.endsWith(".addr") ? `${addrFile.slice(0, -".addr".length)}.token` : `${addrFile}.token`;
}

/** The version in the package.json of the package holding a rigd entry (dist/main.js -> ../package.json). */
function versionNear(entry: string): string | undefined {
  return versionOf(join(dirname(entry), "..", "package.json"));
}

function versionOf(packageJson: string): string | undefined {
  if (!existsSync(packageJson)) return undefined;
  try {
    const version: unknown = JSON.parse(readFileSync(packageJson, "utf8")).version;
    return typeof version === "string" && version ? version : undefined;
  } catch {
    return undefined;
  }
}
