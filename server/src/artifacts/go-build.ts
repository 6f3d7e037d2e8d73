/**
 * Builds Go programs for the `go` type, cached in `RIG_DIR/cache/go/<hash>/`.
 *
 * A local package ("./cmd/api") is built with `go build` in its module; the hash covers
 * the module's files (go.mod, go.sum, sources and embedded files; nested modules are
 * left out), the directories of local `replace` directives, the package path, the build
 * flags, the GO* and CGO_* variables and the Go version. A remote package at a pinned
 * version ("example.com/x/cmd/y@v1.2.3") is immutable: its hash is its name, flags,
 * variables and Go version, and it is built with `go install` into the entry.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { findOnPath } from "../os/executables.js";
import { BuildCache } from "./build-cache.js";
import { runBuildCommand } from "./build-command.js";
import { hashTreeInto } from "./source-hash.js";

const execFileAsync = promisify(execFile);

/** What to build, as the `go` type hands it over. */
export interface GoBuildRequest {
  /** `./cmd/api` (relative to `dir`) or `module/path/cmd/x@v1.2.3`. */
  readonly pkg: string;
  /** Absolute directory the package path is relative to. */
  readonly dir: string;
  readonly flags: readonly string[];
  /** The environment the go command runs with (the client's). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A built program. */
export interface GoBuild {
  readonly binary: string;
  /** True when it came from the cache (no compiler ran for this request). */
  readonly cached: boolean;
  readonly hash: string;
}

/** Whether `pkg` names a remote package at a version rather than a local path. */
export function isRemotePackage(pkg: string): boolean {
  return pkg.includes("@");
}

/** The module root of `dir`: the nearest ancestor (or itself) with a go.mod. */
async function moduleRoot(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    if (await isFile(join(d, "go.mod"))) return d;
    if (dirname(d) === d) return undefined;
  }
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Local directories `replace` directives of go.mod point at (their files are inputs too). */
export function localReplaceDirs(goMod: string, root: string): string[] {
  const dirs: string[] = [];
  for (const match of goMod.matchAll(/=>\s*((?:\.{1,2}|\/)[^\s]*)/g)) dirs.push(resolve(root, match[1] as string));
  return dirs;
}

/** The builder of one rigd: the cache, and the Go version of each go binary it met. */
export class GoBuilder {
  private readonly cache: BuildCache;
  private readonly versions = new Map<string, Promise<string>>();

  constructor(cacheRoot: string) {
    this.cache = new BuildCache(join(cacheRoot, "go"));
  }

  /** Builds `request` or finds it in the cache. Rejects with the compiler's output on failure. */
  async build(request: GoBuildRequest): Promise<GoBuild> {
    const env = { ...request.env };
    const go = findOnPath("go", env["PATH"]);
    if (!go) throw new Error("no `go` command on PATH: install Go 1.21 or newer (Debian: apt-get install golang-go) and put it on the test's PATH");
    const hash = createHash("sha256");
    hash.update(`go-version\0${await this.version(go, env)}\0flags\0${request.flags.join("\0")}\0`);
    for (const key of Object.keys(env).filter((k) => /^(GO|CGO_)/.test(k)).sort()) hash.update(`${key}=${env[key]}\0`);
    const build = isRemotePackage(request.pkg) ? await this.remote(request, hash, go, env) : await this.local(request, hash, go, env);
    const digest = hash.digest("hex").slice(0, 32);
    const entry = await this.cache.get(digest, build.run);
    return { binary: await build.locate(entry.dir), cached: entry.cached, hash: digest };
  }

  private async local(request: GoBuildRequest, hash: ReturnType<typeof createHash>, go: string, env: Record<string, string | undefined>) {
    const pkgDir = resolve(request.dir, request.pkg);
    if (!(await stat(pkgDir).then((s) => s.isDirectory(), () => false))) {
      throw new Error(`go package ${request.pkg}: no directory ${pkgDir}`);
    }
    const root = await moduleRoot(pkgDir);
    if (!root) throw new Error(`go package ${request.pkg}: no go.mod in ${pkgDir} or above it; rig builds Go modules (run \`go mod init\`)`);
    hash.update(`package\0${relative(root, pkgDir)}\0`);
    // A nested module's files are not this module's sources.
    const skipDir = async (dir: string): Promise<boolean> => dir !== root && (await isFile(join(dir, "go.mod")));
    await hashTreeInto(hash, root, { skipDir: (d) => skipDir(d) });
    for (const dir of localReplaceDirs(await readFile(join(root, "go.mod"), "utf8"), root)) {
      hash.update(`replace\0${dir}\0`);
      await hashTreeInto(hash, dir).catch(() => undefined);
    }
    const target = isAbsolute(request.pkg) ? request.pkg : `./${relative(request.dir, pkgDir) || "."}`;
    // VCS stamping reads git state the hash does not cover (and fails without git).
    const vcs = request.flags.some((f) => f.startsWith("-buildvcs")) ? [] : ["-buildvcs=false"];
    return {
      locate: async (entry: string): Promise<string> => join(entry, "program"),
      run: async (out: string): Promise<void> => {
        await runBuildCommand(`go build ${request.pkg} in ${request.dir}`, go, ["build", "-o", join(out, "program"), ...vcs, ...request.flags, target], {
          cwd: request.dir,
          env,
        });
      },
    };
  }

  private async remote(request: GoBuildRequest, hash: ReturnType<typeof createHash>, go: string, env: Record<string, string | undefined>) {
    hash.update(`remote\0${request.pkg}\0`);
    return {
      // The one program `go install` wrote, named after its package.
      locate: async (entry: string): Promise<string> => join(entry, "bin", (await readdir(join(entry, "bin")))[0] as string),
      run: async (out: string): Promise<void> => {
        const gobin = join(out, "bin");
        // `go install pkg@version` ignores the enclosing module; run it where no go.mod confuses it.
        await runBuildCommand(`go install ${request.pkg}`, go, ["install", ...request.flags, request.pkg], {
          cwd: out,
          env: { ...env, GOBIN: gobin, GOFLAGS: `${env["GOFLAGS"] ?? ""} -modcacherw`.trim() },
        });
        const built = await readdir(gobin);
        if (built.length !== 1) throw new Error(`go install ${request.pkg} produced ${built.length} programs (${built.join(", ")}); name one package`);
      },
    };
  }

  /** `go env GOVERSION` of `go`, asked once per binary and modification time. */
  private async version(go: string, env: Record<string, string | undefined>): Promise<string> {
    const key = `${go}:${(await stat(go)).mtimeMs}`;
    let version = this.versions.get(key);
    if (!version) {
      version = execFileAsync(go, ["env", "GOVERSION"], { env }).then(({ stdout }) => stdout.trim());
      version.catch(() => this.versions.delete(key));
      this.versions.set(key, version);
    }
    return version;
  }
}
