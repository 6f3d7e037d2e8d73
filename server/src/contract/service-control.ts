/**
 * Runtime operations on one service of a live environment (exec, files, logs, stop,
 * restart), as the API layer calls them. The orchestrator implements them; `exec` and
 * files are delegated to the service's type (ServiceType.operations).
 */
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import type { ExecOutcome, ExecRequest, CopySource } from "./service-type.js";

/** A line of a service's output. */
export interface OutputLine {
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

export interface ServiceControl {
  /** Runs a command in the service (containers); throws StateError when the type cannot. */
  exec(id: string, service: string, request: ExecRequest): Promise<ExecOutcome>;
  /** Copies a host file or directory, or content, to `path` in the service. */
  copyTo(id: string, service: string, path: string, source: CopySource): Promise<void>;
  /** Copies `path` in the service to `hostPath`. */
  copyFrom(id: string, service: string, path: string, hostPath: string): Promise<void>;
  /** The service's output so far (the last `tail` lines; 0: all). */
  serviceLogs(id: string, service: string, tail: number): Promise<OutputLine[]>;
  /** Stops one service; its exit is no failure. Resolves with its exit code (-1: unknown). */
  stopService(id: string, service: string): Promise<number>;
  /** Stops (when running) and starts one service again; resolves once it is ready. */
  restartService(id: string, service: string): Promise<Record<string, Endpoint>>;
}
