/**
 * The `exec` hook of the Docker-backed types: a command run inside the service's
 * container, its output shown as the service's output, a non-zero exit an error that
 * quotes the output tail.
 */
import type Docker from "dockerode";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import type { OutputSink } from "../contract/service-type.js";
import { execChecked } from "./container-exec.js";

/** Runs `command` in `container`; rejects with ExecFailedError on a non-zero exit. */
export async function runExecHook(
  docker: Docker,
  container: string,
  command: readonly string[],
  output: OutputSink,
  options: { env?: Readonly<Record<string, string>>; signal?: AbortSignal } = {},
): Promise<void> {
  if (command.length === 0) throw new Error("exec hook has an empty command");
  await execChecked(docker, container, command, `exec hook "${command.join(" ")}"`, {
    ...options,
    onLine: (stream, line) => output.line(stream === "stdout" ? LogStream.STDOUT : LogStream.STDERR, line),
  });
}
