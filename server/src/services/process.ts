/**
 * The `process` service type: runs any executable on the host (SPEC §5).
 *
 * The child gets the client's host env, then the config env, then the wiring vars
 * (wiring wins), runs in its own process group so teardown reaches every
 * descendant, and is stopped with SIGTERM, then SIGKILL after the grace period.
 */
import { spawn } from "node:child_process";
import { isAbsolute, resolve } from "node:path";
import { durationMs } from "@bufbuild/protobuf/wkt";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { Protocol, type ProcessConfig } from "../gen/rig/v1/spec_pb.js";
import { publishLocalEndpoints } from "./publish-local.js";
import { specDurationMs } from "../contract/durations.js";
import { splitLines } from "../io/line-splitter.js";
import type { ProcessRecords } from "../os/process-records.js";
import type { ExitStatus, RunningService, ServiceType, StartContext } from "../contract/service-type.js";

const DEFAULT_STOP_GRACE_MS = 5_000;
/** After the main process exits, how long to wait for its output pipes to drain. */
const DRAIN_MS = 250;

/** Resolves the working directory: config dir against the client's dir. */
function workingDir(config: ProcessConfig, clientDir: string): string {
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

/** Starts the child and resolves once it has spawned (or rejects with why it could not). */
export function startProcess(
  ctx: StartContext,
  records: ProcessRecords,
  command: string,
  args: readonly string[],
  options: { cwd: string; env: Record<string, string>; stopGraceMs: number },
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
      records.add(pid, [command, ...args].join(" "));
      let stopping: Promise<ExitStatus> | undefined;
      const stop = (): Promise<ExitStatus> => {
        stopping ??= (async () => {
          if (!exitStatus) {
            signalGroup(pid, "SIGTERM");
            let timer: NodeJS.Timeout | undefined;
            const graceOver = new Promise<"grace">((r) => {
              timer = setTimeout(() => r("grace"), options.stopGraceMs);
            });
            const first = await Promise.race([exited, graceOver]);
            clearTimeout(timer);
            if (first === "grace") signalGroup(pid, "SIGKILL");
          }
          const status = await exited;
          // Descendants that outlived the leader (or ignored SIGTERM) go too.
          signalGroup(pid, "SIGKILL");
          records.remove(pid);
          return status;
        })();
        return stopping;
      };
      resolveStart({ exited, stop, pid, detail: [command, ...args].join(" ") });
    });
  });
}

/** The process type; `records` persists pids so a later rigd can reap them. */
export function createProcessType(records: ProcessRecords): ServiceType<ProcessConfig> {
  return {
    name: "process",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [] },
    configOf: (service) => (service.config.case === "process" ? service.config.value : undefined),
    validate({ service: { config }, problems, templates }) {
      if (!config.command) problems.add("process.command", "process.command is required (the executable to run)");
      for (const key of Object.keys(config.env)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.add("process.env", `env var name "${key}" is malformed`);
      }
      specDurationMs(config.stopGrace, "process.stop_grace", problems, 0);
      templates.check("process.args", config.args, config.env);
      templates.check("process.env", Object.values(config.env));
    },
    publish: publishLocalEndpoints,
    async start(ctx) {
      const config = ctx.service.config;
      const cwd = workingDir(config, ctx.environment.dir);
      const configEnv: Record<string, string> = {};
      const baseVars = { ...ctx.environment.hostEnv, ...ctx.wiringEnv };
      for (const [key, value] of Object.entries(config.env)) configEnv[key] = ctx.expand(value, baseVars);
      const env = { ...ctx.environment.hostEnv, ...configEnv, ...ctx.wiringEnv };
      const args = config.args.map((arg) => ctx.expand(arg, env));
      // A relative path with a slash is relative to the working dir; a bare name goes through PATH.
      const command = config.command.includes("/") && !isAbsolute(config.command) ? resolve(cwd, config.command) : config.command;
      return startProcess(ctx, records, command, args, {
        cwd,
        env,
        stopGraceMs: (config.stopGrace && durationMs(config.stopGrace)) || DEFAULT_STOP_GRACE_MS,
      });
    },
  };
}
