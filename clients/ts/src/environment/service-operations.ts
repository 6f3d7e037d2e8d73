/**
 * Runtime operations on one service of a started environment (rigd's ExecService,
 * CopyToService, CopyFromService, GetServiceLogs, StopService, RestartService). Host
 * paths are resolved against the test's cwd: rigd runs on the same machine and reads
 * or writes them itself.
 */
import type { Client } from "@connectrpc/connect";
import { resolve } from "node:path";
import type { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { fromRpcError } from "../errors.js";
import { toEndpoints, type Endpoint } from "./endpoint.js";

/** What a command run with `exec` printed and how it ended. */
export interface ExecResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of `exec`. */
export interface ExecOptions {
  /** Written to the command's stdin, which is then closed. */
  readonly stdin?: string | Uint8Array;
  readonly env?: Readonly<Record<string, string>>;
  readonly user?: string;
}

/** A line of a service's output. */
export interface LogLine {
  readonly stream: "stdout" | "stderr";
  readonly line: string;
}

/** The operations, bound to one environment. */
export class ServiceOperations {
  constructor(
    private readonly client: Client<typeof EnvironmentService>,
    private readonly environmentId: string,
  ) {}

  async exec(service: string, command: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const stdin = typeof options.stdin === "string" ? Buffer.from(options.stdin) : options.stdin;
    const res = await this.call("ExecService", () =>
      this.client.execService({
        environmentId: this.environmentId,
        service,
        command: [...command],
        ...(stdin !== undefined ? { stdin } : {}),
        env: { ...options.env },
        user: options.user ?? "",
      }),
    );
    return { exitCode: res.exitCode, stdout: Buffer.from(res.stdout).toString("utf8"), stderr: Buffer.from(res.stderr).toString("utf8") };
  }

  async copyTo(service: string, source: string | { readonly content: string | Uint8Array; readonly mode?: number }, containerPath: string): Promise<void> {
    const from =
      typeof source === "string"
        ? { case: "hostPath" as const, value: resolve(source) }
        : { case: "content" as const, value: typeof source.content === "string" ? Buffer.from(source.content) : source.content };
    const mode = typeof source === "string" ? 0 : (source.mode ?? 0);
    await this.call("CopyToService", () => this.client.copyToService({ environmentId: this.environmentId, service, containerPath, source: from, mode }));
  }

  async copyFrom(service: string, containerPath: string, hostPath: string): Promise<void> {
    await this.call("CopyFromService", () =>
      this.client.copyFromService({ environmentId: this.environmentId, service, containerPath, hostPath: resolve(hostPath) }),
    );
  }

  async logs(service: string, tail = 0): Promise<LogLine[]> {
    const res = await this.call("GetServiceLogs", () => this.client.getServiceLogs({ environmentId: this.environmentId, service, tail }));
    return res.lines.map((l) => ({ stream: l.stream === LogStream.STDERR ? "stderr" : "stdout", line: l.line }));
  }

  async stop(service: string): Promise<number> {
    return (await this.call("StopService", () => this.client.stopService({ environmentId: this.environmentId, service }))).exitCode;
  }

  async restart(service: string): Promise<Readonly<Record<string, Endpoint>>> {
    const res = await this.call("RestartService", () => this.client.restartService({ environmentId: this.environmentId, service }));
    return toEndpoints(res.ingresses);
  }

  private async call<T>(rpc: string, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (err) {
      throw fromRpcError(err, rpc);
    }
  }
}
