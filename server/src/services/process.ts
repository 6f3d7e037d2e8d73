/**
 * The `process` service type: runs any executable on the host (SPEC §5).
 *
 * The child gets the client's host env, then the config env, then the wiring vars
 * (wiring wins), runs in its own process group, and is stopped with SIGTERM, then
 * SIGKILL after the grace period. Descendants that left the group (setsid, double fork,
 * nohup) are found by the RIG_PROCESS_TREE marker every descendant inherits and killed
 * with it; rigd's watchdog kills the same trees if rigd itself dies. Spawns are bounded
 * (a spawn blocks the event loop a little) and so is the number of running processes.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { isAbsolute, resolve } from "node:path";
import { durationMs, type Duration } from "@bufbuild/protobuf/wkt";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { Protocol, type ProcessConfig } from "../gen/rig/v1/spec_pb.js";
import { publishLocalEndpoints } from "./publish-local.js";
import { Semaphore } from "../async/semaphore.js";
import { yieldIfBusy } from "../async/time-slice.js";
import { specDurationMs } from "../contract/durations.js";
import { limitFlag, LimitError, type Limits } from "../contract/limits.js";
import { TREE_MARKER_VAR, TreeKiller } from "../os/process-tree.js";
import type { Watchdog } from "../os/watchdog.js";
import { splitLines } from "../io/line-splitter.js";
import type { ProcessRecords } from "../os/process-records.js";
import type { ExitStatus, ProblemSink, RunningService, ServiceType, StartContext, TemplateScope } from "../contract/service-type.js";

const DEFAULT_STOP_GRACE_MS = 5_000;
/** After the main process exits, how long to wait for its output pipes to drain. */
const DRAIN_MS = 250;

/** Resolves the working directory: config dir against the client's dir. */
export function workingDir(config: { readonly dir: string }, clientDir: string): string {
  return config.dir ? resolve(clientDir, config.dir) : clientDir;
}

/** Sends a signal to a whole process group, ignoring a group that is already gone. */
function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone
  }
}

/** What the process type shares across every service of a rigd. */
export interface ProcessTypeDeps {
  /** Pid records, so a later rigd can reap what a dead one left. */
  readonly records: ProcessRecords;
  /** Kills the trees of rigd's services should rigd die. */
  readonly watchdog?: Pick<Watchdog, "watchTree" | "forgetTree">;
  readonly limits: Pick<Limits, "processes" | "spawnConcurrency">;
}

/** The state behind every host program of one rigd (process, go and node services). */
export interface ProcessHost extends ProcessTypeDeps {
  readonly spawns: Semaphore;
  readonly trees: TreeKiller;
  /** Process services running now. */
  running: number;
  /** Prefix of tree markers: this rigd, so markers never collide across rigds. */
  readonly markerPrefix: string;
}

/** Starts the child and resolves once it has spawned (or rejects with why it could not). */
export async function startProcess(
  ctx: StartContext,
  host: ProcessHost,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; stopGraceMs: number },
): Promise<RunningService> {
  if (host.running >= host.limits.processes) {
    throw new LimitError(
      `this rigd already runs ${host.running} process services, its limit (${limitFlag("processes")}); stop some environments first`,
    );
  }
  const marker = `${host.markerPrefix}.${randomBytes(6).toString("hex")}`;
  host.running++;
  host.watchdog?.watchTree(marker);
  let released = false;
  // `leaderPid`: the spawned child, so the tree scan can skip older pids.
  const release = async (leaderPid?: number): Promise<void> => {
    if (released) return;
    released = true;
    await host.trees.kill(marker, leaderPid);
    host.watchdog?.forgetTree(marker);
    host.running--;
  };
  try {
    return await host.spawns.run(async () => {
      // A spawn forks rigd: a few ms each, on the event loop. Spread them over turns.
      await yieldIfBusy();
      return spawnProcess(ctx, host, command, args, { ...options, env: { ...options.env, [TREE_MARKER_VAR]: marker } }, release);
    });
  } catch (err) {
    await release();
    throw err;
  }
}

function spawnProcess(
  ctx: StartContext,
  { records, trees }: Pick<ProcessHost, "records" | "trees">,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; stopGraceMs: number },
  release: (leaderPid?: number) => Promise<void>,
): Promise<RunningService> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  splitLines(child.stdout, (line) => ctx.output.line(LogStream.STDOUT, line));
  splitLines(child.stderr, (line) => ctx.output.line(LogStream.STDERR, line));

  let exitStatus: ExitStatus | undefined;
  const exited = new Promise<ExitStatus>((resolveExit) => {
    let closed = false;
    child.once("close", () => {
      closed = true;
    });
    child.once("exit", (code, signal) => {
      exitStatus = { code, signal };
      if (child.pid) records.remove(child.pid);
      // Let the pipes drain so the last stderr lines reach the failure summary; a
      // grandchild holding the pipes open must not delay us for long.
      if (closed) return resolveExit(exitStatus);
      const timer = setTimeout(() => resolveExit(exitStatus as ExitStatus), DRAIN_MS);
      child.once("close", () => {
        clearTimeout(timer);
        resolveExit(exitStatus as ExitStatus);
      });
    });
  });

  return new Promise((resolveStart, rejectStart) => {
    child.once("error", (err: NodeJS.ErrnoException) => {
      const why = err.code === "ENOENT" ? "no such file or not on PATH" : err.code === "EACCES" ? "permission denied" : err.message;
      rejectStart(new Error(`cannot start "${command}" in ${options.cwd}: ${why}`));
    });
    child.once("spawn", () => {
      const pid = child.pid as number;
      records.add(pid, [command, ...args].join(" "), options.env[TREE_MARKER_VAR] ?? "");
      let stopping: Promise<ExitStatus> | undefined;
      let markGone: (status: ExitStatus) => void = () => {};
      const gone = new Promise<ExitStatus>((resolveGone) => (markGone = resolveGone));
      const stop = (onGone?: (status: ExitStatus) => void): Promise<ExitStatus> => {
        if (onGone) void gone.then(onGone);
        stopping ??= (async () => {
          if (!exitStatus) {
            signalGroup(pid, "SIGTERM");
            // While it exits, learn the pids the sweep after its exit would read.
            trees.warm(pid);
            let timer: NodeJS.Timeout | undefined;
            const graceOver = new Promise<"grace">((r) => {
              timer = setTimeout(() => r("grace"), options.stopGraceMs);
            });
            const first = await Promise.race([exited, graceOver]);
            clearTimeout(timer);
            if (first === "grace") signalGroup(pid, "SIGKILL");
          }
          const status = await exited;
          // Descendants that outlived the leader (or ignored SIGTERM) go too: the group
          // now (then nothing of the service can act: it is gone), and those that left
          // the group by the sweep that follows.
          signalGroup(pid, "SIGKILL");
          markGone(status);
          await release(pid);
          records.remove(pid);
          return status;
        })();
        return stopping;
      };
      resolveStart({ exited, stop, pid, detail: [command, ...args].join(" ") });
    });
  });
}

/** The host programs' shared state of one rigd: one per rigd, shared by process, go and node. */
export function createProcessHost(deps: ProcessTypeDeps): ProcessHost {
  const markerPrefix = `${process.pid}.${randomBytes(4).toString("hex")}`;
  return {
    ...deps,
    spawns: new Semaphore(deps.limits.spawnConcurrency),
    trees: new TreeKiller(`${markerPrefix}.`),
    running: 0,
    markerPrefix,
  };
}

/** The fields every host program's config has (process, go, node). */
export interface HostProgramConfig {
  readonly args: readonly string[];
  readonly dir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly stopGrace?: Duration;
}

/** Checks the shared fields of a host program's config, under `prefix` (`process`, `go`). */
export function validateHostProgram(prefix: string, config: HostProgramConfig, problems: ProblemSink, templates: TemplateScope): void {
  for (const key of Object.keys(config.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.add(`${prefix}.env`, `env var name "${key}" is malformed`);
  }
  specDurationMs(config.stopGrace, `${prefix}.stop_grace`, problems, 0);
  templates.check(`${prefix}.args`, config.args, config.env);
  templates.check(`${prefix}.env`, Object.values(config.env));
}

/** The environment of a host program: the client's, then its config env (expanded), then the wiring. */
export function hostProgramEnv(ctx: StartContext, config: HostProgramConfig): Record<string, string> {
  const configEnv: Record<string, string> = {};
  const baseVars = { ...ctx.environment.hostEnv, ...ctx.wiringEnv };
  for (const [key, value] of Object.entries(config.env)) configEnv[key] = ctx.expand(value, baseVars);
  return { ...ctx.environment.hostEnv, ...configEnv, ...ctx.wiringEnv };
}

/**
 * Starts `command` with the config's args (expanded), env and working dir. A relative
 * command with a slash is relative to the working dir; a bare name goes through PATH.
 * `leadingArgs` come before the config's args, unexpanded (a node script, its options).
 */
export function startHostProgram(
  ctx: StartContext,
  host: ProcessHost,
  command: string,
  config: HostProgramConfig,
  leadingArgs: readonly string[] = [],
): Promise<RunningService> {
  const cwd = workingDir(config, ctx.environment.dir);
  const env = hostProgramEnv(ctx, config);
  const args = [...leadingArgs, ...config.args.map((arg) => ctx.expand(arg, env))];
  const resolved = command.includes("/") && !isAbsolute(command) ? resolve(cwd, command) : command;
  return startProcess(ctx, host, resolved, args, {
    cwd,
    env,
    stopGraceMs: (config.stopGrace && durationMs(config.stopGrace)) || DEFAULT_STOP_GRACE_MS,
  });
}

/** The process type over rigd's shared `ProcessHost` (pid records, limits, trees). */
export function createProcessType(host: ProcessHost): ServiceType<ProcessConfig> {
  return {
    name: "process",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [] },
    configOf: (service) => (service.config.case === "process" ? service.config.value : undefined),
    validate({ service: { config }, problems, templates }) {
      if (!config.command) problems.add("process.command", "process.command is required (the executable to run)");
      validateHostProgram("process", config, problems, templates);
    },
    publish: publishLocalEndpoints,
    start: (ctx) => startHostProgram(ctx, host, ctx.service.config.command, ctx.service.config),
  };
}
