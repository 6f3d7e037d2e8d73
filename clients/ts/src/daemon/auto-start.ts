/**
 * Finds a running rigd or starts one (SPEC §10): read the addr file and probe health;
 * otherwise take an exclusive lock, check again (another process may have just started
 * one), spawn rigd detached, wait for its addr file and a SERVING health check, release
 * the lock. Every test process on the machine ends up sharing one rigd per version.
 * Every call carries rigd's token, read from the file beside the addr file (rigd writes
 * it first), or from RIG_TOKEN when RIG_SERVER names the rigd.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import lockfile from "proper-lockfile";
import { HealthCheckResponse_ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import type { RigApi } from "../api/rig-api.js";
import { rigApi } from "../api/rig-api.js";
import { RigDaemonError } from "../errors.js";
import type { RigdFiles } from "./rigd-location.js";
import { locateRigd, rigDir, rigdFiles } from "./rigd-location.js";

/** Where to find rigd. */
export interface DaemonOptions {
  /** Explicit rigd address (`127.0.0.1:PORT` or `unix:/path`); no auto-start. Default: RIG_SERVER. */
  readonly server?: string;
  /**
   * The token of the explicit rigd. Default: RIG_TOKEN, else the token file of RIG_DIR's
   * rigd when its addr file names the same address.
   */
  readonly token?: string;
  /** Environment to read RIG_* from and to start rigd with. Default process.env. */
  readonly env?: NodeJS.ProcessEnv;
  /** How long starting rigd may take. Default 30 s. */
  readonly startTimeoutMs?: number;
}

const starting = new Map<string, Promise<RigApi>>();

/** The API of a healthy rigd: the explicit one, the running one, or a freshly started one. */
export async function connectRigd(options: DaemonOptions = {}): Promise<RigApi> {
  const env = options.env ?? process.env;
  const explicit = options.server ?? env.RIG_SERVER;
  const command = locateRigd(env);
  const files = rigdFiles(rigDir(env), command.version);
  if (explicit) {
    const token = options.token ?? (env.RIG_TOKEN || (await tokenOfAddrFile(files, explicit)));
    if (!token) {
      throw new RigDaemonError(
        `rig: no token for the rigd at ${explicit}: set RIG_TOKEN to the content of the rigd-<version>.token file beside its addr file`,
      );
    }
    const api = rigApi(explicit, token);
    if (!(await isServing(api))) {
      throw new RigDaemonError(`rig: no healthy rigd at ${explicit} (from ${options.server ? "the server option" : "RIG_SERVER"})`);
    }
    return api;
  }
  // Environments of one process that start together share one attempt (and one lock).
  let attempt = starting.get(files.addrFile);
  if (!attempt) {
    attempt = findOrStart(files, env, options.startTimeoutMs ?? 30_000).finally(() => starting.delete(files.addrFile));
    starting.set(files.addrFile, attempt);
  }
  return attempt;
}

async function findOrStart(files: RigdFiles, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RigApi> {
  const running = await fromAddrFile(files);
  if (running) return running;
  // rigd tightens RIG_DIR to 0700 itself; create it private so nothing is ever exposed.
  await mkdir(files.rigDir, { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(files.lockFile, {
      realpath: false,
      lockfilePath: files.lockFile,
      stale: 10_000,
      update: 2_000,
      // Another process may hold the lock while it starts rigd: wait for it, then find its rigd.
      retries: { retries: Math.ceil(timeoutMs / 50), factor: 1, minTimeout: 50, maxTimeout: 50 },
      // A compromised lock only risks a second rigd; never crash the test process over it.
      onCompromised: () => {},
    });
  } catch (err) {
    throw new RigDaemonError(`rig: could not lock ${files.lockFile} to start rigd: ${(err as Error).message}`, { cause: err });
  }
  try {
    const started = await fromAddrFile(files);
    if (started) return started;
    return await startRigd(files, env, timeoutMs);
  } finally {
    await release().catch(() => {});
  }
}

async function startRigd(files: RigdFiles, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<RigApi> {
  const command = locateRigd(env);
  // A stale addr file (from a rigd that died) must not be mistaken for the new one's.
  await rm(files.addrFile, { force: true });
  const output = openSync(files.outputFile, "a", 0o600);
  const childEnv = { ...env };
  delete childEnv.RIG_SERVER;
  delete childEnv.RIG_TOKEN;
  let exited: string | undefined;
  let child: ChildProcess;
  try {
    child = spawn(command.command, [...command.args, "--rig-dir", files.rigDir, "--addr-file", files.addrFile], {
      detached: true,
      stdio: ["ignore", output, output],
      env: childEnv,
      cwd: files.rigDir,
    });
  } finally {
    closeSync(output);
  }
  child.once("error", (err) => (exited = `could not be spawned: ${err.message}`));
  child.once("exit", (code, signal) => (exited = `exited with ${signal ?? `code ${code}`}`));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const api = await fromAddrFile(files);
    if (api) return api;
    if (exited) break;
    await sleep(20);
  }
  const why = exited ?? `was not serving after ${timeoutMs} ms`;
  if (!exited) child.kill();
  const tail = await readFile(files.outputFile, "utf8").then(lastLines, () => []);
  throw new RigDaemonError(
    `rig: rigd (${[command.command, ...command.args].join(" ")}) ${why}` +
      (tail.length ? `\n  last output (${files.outputFile}):\n${tail.map((l) => `    | ${l}`).join("\n")}` : "") +
      `\n  rigd's log: ${files.addrFile.replace(/\.addr$/, ".log")}`,
  );
}

/** The API of the rigd named in an addr file, if that rigd answers health checks. */
async function fromAddrFile(files: RigdFiles): Promise<RigApi | undefined> {
  const address = (await readFile(files.addrFile, "utf8").catch(() => "")).trim();
  if (!/^[^\s:]+:\d+$/.test(address) && !/^unix:\/\S+$/.test(address)) return undefined;
  // rigd writes its token before its addr file, so a published address has one.
  const token = (await readFile(files.tokenFile, "utf8").catch(() => "")).trim();
  if (!token) return undefined;
  const api = rigApi(address, token);
  return (await isServing(api)) ? api : undefined;
}

/** The token of RIG_DIR's rigd, when its addr file names `address`. */
async function tokenOfAddrFile(files: RigdFiles, address: string): Promise<string | undefined> {
  const published = (await readFile(files.addrFile, "utf8").catch(() => "")).trim();
  if (!published || published !== address.trim().replace(/^http:\/\//, "")) return undefined;
  return (await readFile(files.tokenFile, "utf8").catch(() => "")).trim() || undefined;
}

/** Whether the rigd behind `api` answers its health check with SERVING. */
export async function isServing(api: RigApi): Promise<boolean> {
  try {
    const response = await api.health.check({ service: "" }, { timeoutMs: 2_000 });
    return response.status === HealthCheckResponse_ServingStatus.SERVING;
  } catch {
    return false;
  }
}

function lastLines(text: string): string[] {
  return text.trimEnd().split("\n").slice(-15);
}
