/**
 * Runtime operations on one service of an up environment (contract/service-control.ts):
 * exec and files through the service's type, logs from the event log, stop and restart
 * through the lifecycle steps. A restart that fails fails the environment, like any
 * service failure.
 */
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { StateError } from "../contract/errors.js";
import type { OutputLine } from "../contract/service-control.js";
import type { CopySource, ExecOutcome, ExecRequest, ServiceOperations } from "../contract/service-type.js";
import type { EnvironmentRun } from "./environment-run.js";
import { operationsOf, restartOnRequest, stopOnRequest } from "./service-lifecycle.js";
import type { ServiceRuntime } from "./service-runtime.js";

function operations(rt: ServiceRuntime, what: string): ServiceOperations {
  const ops = operationsOf(rt);
  if (!ops) throw new StateError(`service ${rt.name} is a ${rt.type.name} service: ${what} works on container services`);
  if (!rt.running || rt.stoppedOnRequest) throw new StateError(`service ${rt.name} is not running (restart it first)`);
  return ops;
}

/** Runs a command in the service. */
export function execIn(run: EnvironmentRun, service: string, request: ExecRequest): Promise<ExecOutcome> {
  if (request.command.length === 0 || !request.command[0]) throw new StateError("exec needs a command");
  return operations(run.controllable(service), "exec").exec(request);
}

/** Copies a host file or directory, or content, into the service. */
export function copyInto(run: EnvironmentRun, service: string, path: string, source: CopySource): Promise<void> {
  return operations(run.controllable(service), "copying files").copyTo(path, source);
}

/** Copies a file or directory out of the service. */
export function copyOutOf(run: EnvironmentRun, service: string, path: string, hostPath: string): Promise<void> {
  return operations(run.controllable(service), "copying files").copyFrom(path, hostPath);
}

/** The service's output lines in the event log (the last `tail`; 0: all). */
export async function outputOf(run: EnvironmentRun, service: string, tail: number): Promise<OutputLine[]> {
  run.controllable(service);
  const lines: OutputLine[] = [];
  for await (const event of run.log.replay()) {
    if (event.service !== service || event.payload.case !== "serviceLog") continue;
    lines.push({ stream: event.payload.value.stream === LogStream.STDERR ? "stderr" : "stdout", line: event.payload.value.line });
  }
  return tail > 0 ? lines.slice(-tail) : lines;
}

/** Stops the service; resolves with its exit code (-1: unknown). */
export async function stopIn(run: EnvironmentRun, service: string): Promise<number> {
  const rt = run.controllable(service);
  if (!rt.running || rt.stoppedOnRequest) throw new StateError(`service ${service} is not running`);
  const status = await stopOnRequest(run, rt);
  return status.code ?? -1;
}

/** Starts the service again; resolves with its endpoints once it is ready. */
export async function restartIn(run: EnvironmentRun, service: string): Promise<Record<string, Endpoint>> {
  const rt = run.controllable(service);
  try {
    await restartOnRequest(run, rt);
  } catch (err) {
    const reason = `restart failed: ${err instanceof Error ? err.message : String(err)}`;
    run.failService(service, reason);
    throw new StateError(`service ${service}: ${reason}`);
  }
  return rt.endpoints;
}
