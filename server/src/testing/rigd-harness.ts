/**
 * Test harness: a real rigd child process with its own RIG_DIR, a gRPC client to it,
 * and leak checks (processes, temp dirs) for the end of a test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ConnectError, createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { tokenFileFor } from "../auth/rigd-token.js";
import { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { LockService } from "../gen/rig/v1/lock_service_pb.js";
import type { Event } from "../gen/rig/v1/event_pb.js";
import { EnvironmentSpecSchema, Protocol, type EnvironmentSpec, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { WATCHDOG_FLAG } from "../os/watchdog.js";
import { RIGD_NODE_FLAGS } from "../rigd/node-flags.js";

const here = dirname(fileURLToPath(import.meta.url));
/** server/dist/main.js */
export const RIGD_MAIN = join(here, "..", "main.js");
/** Compiled fixture scripts (server/dist/testing/fixtures). */
export const FIXTURES = join(here, "fixtures");

/** A running rigd for one test file. */
export interface Rigd {
  readonly address: string;
  /** The token rigd wrote beside its addr file; every RPC but health Check needs it. */
  readonly token: string;
  readonly rigDir: string;
  readonly child: ChildProcess;
  readonly client: Client<typeof EnvironmentService>;
  /** A marker to put into fixture args so leaked processes can be found. */
  readonly marker: string;
  /** Stops rigd (SIGTERM) and removes its RIG_DIR unless keepDir. */
  stop(options?: { keepDir?: boolean }): Promise<number | null>;
}

/**
 * Starts `node server/dist/main.js` (or another build's `main`, for benchmarks comparing
 * versions) with a fresh RIG_DIR (or the given one), extra environment and node flags
 * (`nodeArgs`, before the script: `--inspect`, `--cpu-prof`...) after the ones the SDKs
 * give (rigd/node-flags.ts), and waits for its addr file.
 */
export async function startRigd(
  extraArgs: string[] = [],
  options: {
    readonly env?: NodeJS.ProcessEnv;
    readonly main?: string;
    readonly rigDir?: string;
    readonly nodeArgs?: readonly string[];
  } = {},
): Promise<Rigd> {
  // An existing rigDir restarts rigd on the state a previous one left.
  const rigDir = options.rigDir ?? mkdtempSync(join(tmpdir(), "rig-test-"));
  const addrFile = join(rigDir, "rigd.addr");
  if (options.rigDir) rmSync(addrFile, { force: true }); // the dead rigd's, else read as ours
  const child = spawn(process.execPath, [...RIGD_NODE_FLAGS, ...(options.nodeArgs ?? []), options.main ?? RIGD_MAIN, "--rig-dir", rigDir, "--addr-file", addrFile, ...extraArgs], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  // A rigd that does not come up (tests of refused flags and files) leaves no dir behind.
  const fail = (why: string): Error => {
    if (child.exitCode === null) child.kill("SIGKILL");
    if (!options.rigDir) rmSync(rigDir, { recursive: true, force: true });
    return new Error(why);
  };
  while (!existsSync(addrFile)) {
    if (child.exitCode !== null) throw fail(`rigd exited with ${child.exitCode}: ${stderr}`);
    if (Date.now() > deadline) throw fail(`rigd did not write ${addrFile} within 20s: ${stderr}`);
    await sleep(20);
  }
  const address = readFileSync(addrFile, "utf8").trim();
  const token = readRigdToken(addrFile);
  const client = createClient(
    EnvironmentService,
    createGrpcTransport({ baseUrl: `http://${address}`, interceptors: [bearer(token)] }),
  );
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return {
    address,
    token,
    rigDir,
    child,
    client,
    // Not a prefix of rigd's own arguments, so only service processes carry it.
    marker: join(rigDir, "service-marker"),
    async stop(options) {
      if (child.exitCode === null) child.kill("SIGTERM");
      const code = await exited;
      if (!options?.keepDir) rmSync(rigDir, { recursive: true, force: true });
      return code;
    },
  };
}

/** A LockService client of a test's rigd. */
export function lockClient(rigd: Pick<Rigd, "address" | "token">): Client<typeof LockService> {
  return createClient(LockService, createGrpcTransport({ baseUrl: `http://${rigd.address}`, interceptors: [bearer(rigd.token)] }));
}

/** The token of the rigd that wrote `addrFile` (the token file is written before the addr file). */
export function readRigdToken(addrFile: string): string {
  return readFileSync(tokenFileFor(addrFile), "utf8").trim();
}

/** An interceptor sending `authorization: Bearer <token>` on every call. */
export function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
}

/** A grpc-js client interceptor sending `authorization: Bearer <token>` on every call. */
export function grpcJsBearer(token: string): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        metadata.set("authorization", `Bearer ${token}`);
        next(metadata, listener);
      },
    });
}

/** The ConnectError a call fails with; throws when it succeeds. */
export async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected the call to fail, it succeeded");
}

/** Builds a spec message from a plain init object. */
export function spec(init: MessageInitShape<typeof EnvironmentSpecSchema>): EnvironmentSpec {
  return create(EnvironmentSpecSchema, init);
}

/**
 * A process service running a Node `script` behind an HTTP ingress (`default`; recorded
 * when the environment observes), with the rigd's marker as its argument.
 */
export function nodeHttpService(rigd: Pick<Rigd, "marker">, script: string, name = "web"): MessageInitShape<typeof ServiceSchema> {
  return {
    name,
    ingresses: [{ protocol: Protocol.HTTP }],
    config: { case: "process", value: { command: process.execPath, args: [script, rigd.marker] } },
  };
}

/** Pids of live processes whose command line contains `marker` (leak detection). */
export function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const state = readFileSync(`/proc/${entry}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmdline.includes(marker) && state !== "Z") pids.push(Number(entry));
    } catch {
      // raced with exit
    }
  }
  return pids;
}

/** Entries left under RIG_DIR/tmp (should be none after teardown). */
export function leftoverTempDirs(rigDir: string): string[] {
  const dir = join(rigDir, "tmp");
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Collects events of an environment until `until` matches (inclusive) or the stream ends. */
export async function collectEvents(
  rigd: Rigd,
  environmentId: string,
  until: (e: Event) => boolean = (e) => e.type === "environment.up" || e.type === "environment.down",
  options: { afterSeq?: bigint; includeLogs?: boolean; timeoutMs?: number } = {},
): Promise<Event[]> {
  const events: Event[] = [];
  const signal = AbortSignal.timeout(options.timeoutMs ?? 60_000);
  for await (const res of rigd.client.watchEvents(
    { environmentId, afterSeq: options.afterSeq ?? 0n, includeLogs: options.includeLogs ?? false },
    { signal },
  )) {
    if (!res.event) continue;
    events.push(res.event);
    if (until(res.event)) break;
  }
  return events;
}

/** Polls `check` until it returns true or the timeout passes. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`);
    await sleep(50);
  }
}

/** The watchdog process of the rigd with this pid (see os/watchdog-main.ts), if it runs. */
export function watchdogOf(rigdPid: number): number | undefined {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      // watchdog-main.js from the modules; the bundle runs itself with --rig-watchdog (os/watchdog.ts).
      const isWatchdog = args.some((a) => a.endsWith("watchdog-main.js") || a === WATCHDOG_FLAG);
      if (isWatchdog && args.includes(String(rigdPid))) return Number(entry);
    } catch {
      // gone
    }
  }
  return undefined;
}
