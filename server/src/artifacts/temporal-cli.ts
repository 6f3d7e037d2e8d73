/**
 * The Temporal CLI of the `temporal` type, whose `server start-dev` is the pooled dev
 * server: a binary already here at the asked version (`$RIG_TEMPORAL_CLI`, then
 * `temporal` on PATH; `make setup` installs one into .tools/bin), else built with
 * `go install github.com/temporalio/cli/cmd/temporal@<version>` from the Go module proxy,
 * cached in RIG_DIR/cache/go like every remote Go build (minutes the first time).
 *
 * A binary's version is what the Go tool stamped into it (`go version -m`): a CLI built
 * with `go install` says `0.0.0-DEV` to `temporal --version`; release builds say their
 * version there, which is the fallback without Go.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { candidatesOnPath, isExecutable } from "../os/executables.js";
import type { GoBuilder } from "./go-build.js";

const execFileAsync = promisify(execFile);

/** The module of the CLI's main package. */
export const TEMPORAL_CLI_PACKAGE = "github.com/temporalio/cli/cmd/temporal";
/** The CLI version rig pins (the dev server of Temporal server 1.29). */
export const DEFAULT_TEMPORAL_CLI_VERSION = "v1.5.1";

/** A Temporal CLI binary and where it came from. */
export interface TemporalCli {
  readonly path: string;
  readonly version: string;
  /** `$RIG_TEMPORAL_CLI`, `PATH`, `built` or `cache`. */
  readonly source: string;
}

/** The module version of a Go binary (`go version -m`), else the one it prints; undefined when neither says. */
async function versionOf(binary: string, env: Readonly<Record<string, string | undefined>>): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync("go", ["version", "-m", binary], { env, timeout: 10_000 });
    const stamped = /^\s*mod\s+github\.com\/temporalio\/cli\s+(v\S+)/m.exec(stdout)?.[1];
    if (stamped && stamped !== "(devel)") return stamped;
  } catch {
    // no go, or not a Go binary: ask the binary
  }
  try {
    const { stdout } = await execFileAsync(binary, ["--version"], { timeout: 10_000 });
    const printed = /temporal version (\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1];
    return printed && !printed.startsWith("0.0.0") ? `v${printed}` : undefined;
  } catch {
    return undefined;
  }
}

/** The CLI at `version` already here (`$RIG_TEMPORAL_CLI`, then PATH), or undefined. */
export async function findTemporalCli(version: string, env: Readonly<Record<string, string | undefined>>): Promise<TemporalCli | undefined> {
  const fromEnv = env["RIG_TEMPORAL_CLI"];
  const candidates: Array<{ path: string; source: string }> = [
    ...(fromEnv ? [{ path: fromEnv, source: "$RIG_TEMPORAL_CLI" }] : []),
    ...candidatesOnPath("temporal", env["PATH"]).map((path) => ({ path, source: "PATH" })),
  ];
  for (const candidate of candidates) {
    if (isExecutable(candidate.path) && (await versionOf(candidate.path, env)) === version) return { ...candidate, version };
  }
  return undefined;
}

/** The CLI at `version`: one already here, else a (cached) build. */
export async function findOrBuildTemporalCli(version: string, builder: GoBuilder, env: Readonly<Record<string, string | undefined>>): Promise<TemporalCli> {
  const here = await findTemporalCli(version, env);
  if (here) return here;
  const build = await builder.build({ pkg: `${TEMPORAL_CLI_PACKAGE}@${version}`, dir: "/", flags: [], env });
  return { path: build.binary, version, source: build.cached ? "cache" : "built" };
}
