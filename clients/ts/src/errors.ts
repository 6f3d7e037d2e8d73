/**
 * Errors the SDK throws. Each message is written to explain a failed test on its own:
 * which service, what went wrong, the last stderr lines, where the full log is.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { EnvironmentDown } from "./gen/rig/v1/event_pb.js";
import { DownReason } from "./gen/rig/v1/event_pb.js";
import { SpecProblemsSchema } from "./gen/rig/v1/environment_service_pb.js";

/** Base class of every error the SDK throws. */
export class RigError extends Error {
  override name = "RigError";
}

/** One problem of a spec rejected by rigd, with where it is (`services[1](api).egresses[0]`). */
export interface SpecProblem {
  readonly path: string;
  readonly message: string;
}

/** rigd rejected the spec; `problems` lists every problem, and so does the message. */
export class RigSpecError extends RigError {
  override name = "RigSpecError";

  constructor(readonly problems: readonly SpecProblem[], detail?: string) {
    super(
      problems.length === 0
        ? `rig: invalid environment spec: ${detail ?? "rejected by rigd"}`
        : `rig: invalid environment spec (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p.path ? `${p.path}: ` : ""}${p.message}`).join("\n"),
    );
  }
}

/** What went wrong when an environment went down (from its environment.down event). */
export interface DownDetails {
  readonly environmentId: string;
  readonly environmentName: string;
  /** DOWN_REASON_* as a lower-case word: failed, destroyed, ttl_expired, orphaned, shutdown. */
  readonly reason: string;
  /** rigd's one-paragraph summary. */
  readonly summary: string;
  readonly failedService?: string;
  readonly serviceError?: string;
  readonly stderrTail: readonly string[];
  /** Human-readable log of the run, when known. */
  readonly logPath?: string;
  /** What the SDK saw on its side that explains the failure. */
  readonly hints?: readonly string[];
  /** rigd's diagnosis of the run (what `rig explain` prints). */
  readonly diagnosis?: string;
}

/** The environment went down while starting (a service failed, a hook threw, ...). */
export class RigEnvironmentError extends RigError implements DownDetails {
  override name = "RigEnvironmentError";
  readonly environmentId: string;
  readonly environmentName: string;
  readonly reason: string;
  readonly summary: string;
  readonly failedService?: string;
  readonly serviceError?: string;
  readonly stderrTail: readonly string[];
  readonly logPath?: string;
  readonly hints: readonly string[];
  readonly diagnosis?: string;

  constructor(details: DownDetails) {
    super(describeDown(details));
    this.environmentId = details.environmentId;
    this.environmentName = details.environmentName;
    this.reason = details.reason;
    this.summary = details.summary;
    this.failedService = details.failedService;
    this.serviceError = details.serviceError;
    this.stderrTail = details.stderrTail;
    this.logPath = details.logPath;
    this.hints = details.hints ?? [];
    this.diagnosis = details.diagnosis;
  }
}

/** The environment was not up within the startup timeout; quotes rigd's latest progress.stall. */
export class RigStartupTimeoutError extends RigError {
  override name = "RigStartupTimeoutError";

  constructor(
    readonly environmentId: string,
    readonly timeoutMs: number,
    readonly stall: string | undefined,
    readonly logPath?: string,
    readonly diagnosis?: string,
  ) {
    super(
      `rig: environment ${environmentId} was not up after ${formatMs(timeoutMs)}` +
        (stall ? `; rigd reported:\n${indent(stall)}` : " (rigd reported no stall)") +
        (logPath ? `\n  full log: ${logPath}` : "") +
        explained(diagnosis),
    );
  }
}

/** rigd could not be started or reached. */
export class RigDaemonError extends RigError {
  override name = "RigDaemonError";
}

/** Summarizes an EnvironmentDown event into the SDK's details. */
export function downDetails(
  environmentId: string,
  environmentName: string,
  down: EnvironmentDown | undefined,
  logPath?: string,
): DownDetails {
  return {
    environmentId,
    environmentName,
    reason: downReasonName(down?.reason ?? DownReason.UNSPECIFIED),
    summary: down?.summary ?? "",
    failedService: down?.failedService || undefined,
    serviceError: down?.error || undefined,
    stderrTail: down?.stderrTail ?? [],
    logPath: logPath || undefined,
  };
}

/** DownReason as a lower-case word. */
export function downReasonName(reason: DownReason): string {
  return (DownReason[reason] ?? "UNSPECIFIED").toLowerCase();
}

/**
 * Converts an RPC failure into the SDK's error: INVALID_ARGUMENT with SpecProblems
 * becomes a RigSpecError; anything else a RigError naming the call.
 */
export function fromRpcError(err: unknown, rpc: string): Error {
  const connectError = ConnectError.from(err);
  if (connectError.code === Code.InvalidArgument && rpc === "CreateEnvironment") {
    const problems = connectError.findDetails(SpecProblemsSchema).flatMap((d) => d.problems);
    return new RigSpecError(
      problems.map((p) => ({ path: p.path, message: p.message })),
      connectError.rawMessage,
    );
  }
  return new RigError(`rig: ${rpc} failed: ${connectError.message}`, { cause: err });
}

function describeDown(d: DownDetails): string {
  // rigd's summary starts with one line naming the service, the phase and the error
  // ('service "api" failed while starting: exited with code 3'); the stderr tail comes
  // from the structured field so it is printed once.
  const headline = d.summary.split("\n")[0] ?? "";
  const lines = [
    d.reason === "failed"
      ? `rig: environment ${d.environmentId} failed: ${headline || `service "${d.failedService ?? "?"}" failed: ${d.serviceError ?? "unknown error"}`}`
      : `rig: environment ${d.environmentId} went down (${d.reason.replace(/_/g, " ")})${headline ? `: ${headline}` : ""}`,
  ];
  if (d.stderrTail.length > 0) {
    lines.push(`  last stderr lines of ${d.failedService ?? "the service"}:`);
    for (const line of d.stderrTail) lines.push(`    | ${line}`);
  }
  for (const hint of d.hints ?? []) lines.push(`  note: ${hint}`);
  if (d.logPath) lines.push(`  full log: ${d.logPath}`);
  return lines.join("\n") + explained(d.diagnosis);
}

/** A failure message's last part: rigd's diagnosis, as `rig explain` prints it. */
function explained(diagnosis: string | undefined): string {
  return diagnosis ? `\n  rig explain:\n${indent(diagnosis)}` : "";
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
