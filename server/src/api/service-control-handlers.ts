/**
 * The EnvironmentService handlers of runtime operations on one service (exec, copy,
 * logs, stop, restart): field checks that need no orchestrator knowledge, then the
 * backend's ServiceControl.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import { isAbsolute } from "node:path";
import type { EnvironmentService } from "../gen/rig/v1/environment_service_pb.js";
import { LogStream, ServiceLogSchema } from "../gen/rig/v1/event_pb.js";
import type { ServiceControl } from "../contract/service-control.js";

type Handlers = Pick<
  ServiceImpl<typeof EnvironmentService>,
  "execService" | "copyToService" | "copyFromService" | "getServiceLogs" | "stopService" | "restartService"
>;
/** Runs one unary call, translating whatever it throws (the service's own helper). */
type Unary = <T>(ctx: HandlerContext, body: () => T | Promise<T>) => Promise<T>;

function required(value: string, field: string): string {
  if (value.trim() === "") throw new ConnectError(`${field} is required`, Code.InvalidArgument);
  return value;
}

function absolute(path: string, field: string, where: string): string {
  required(path, field);
  if (!isAbsolute(path)) throw new ConnectError(`${field} must be an absolute path ${where} (got "${path}")`, Code.InvalidArgument);
  return path;
}

/** The handlers over `control`. */
export function serviceControlHandlers(control: ServiceControl, unary: Unary): Handlers {
  return {
    execService(req, ctx) {
      return unary(ctx, async () => {
        const id = required(req.environmentId, "environment_id");
        const result = await control.exec(id, required(req.service, "service"), {
          command: req.command,
          ...(req.stdin !== undefined ? { stdin: req.stdin } : {}),
          env: req.env,
          user: req.user,
          signal: ctx.signal,
        });
        return { exitCode: result.exitCode, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr) };
      });
    },

    copyToService(req, ctx) {
      return unary(ctx, async () => {
        const path = absolute(req.containerPath, "container_path", "in the container");
        const source =
          req.source.case === "hostPath"
            ? { hostPath: absolute(req.source.value, "host_path", "on rigd's host") }
            : req.source.case === "content"
              ? { content: req.source.value, mode: req.mode || 0o644 }
              : undefined;
        if (!source) throw new ConnectError("a source is required: host_path or content", Code.InvalidArgument);
        await control.copyTo(required(req.environmentId, "environment_id"), required(req.service, "service"), path, source);
        return {};
      });
    },

    copyFromService(req, ctx) {
      return unary(ctx, async () => {
        const path = absolute(req.containerPath, "container_path", "in the container");
        const hostPath = absolute(req.hostPath, "host_path", "on rigd's host");
        await control.copyFrom(required(req.environmentId, "environment_id"), required(req.service, "service"), path, hostPath);
        return {};
      });
    },

    getServiceLogs(req, ctx) {
      return unary(ctx, async () => {
        const lines = await control.serviceLogs(required(req.environmentId, "environment_id"), required(req.service, "service"), req.tail);
        return {
          lines: lines.map((l) => create(ServiceLogSchema, { stream: l.stream === "stderr" ? LogStream.STDERR : LogStream.STDOUT, line: l.line })),
        };
      });
    },

    stopService(req, ctx) {
      return unary(ctx, async () => ({
        exitCode: await control.stopService(required(req.environmentId, "environment_id"), required(req.service, "service")),
      }));
    },

    restartService(req, ctx) {
      return unary(ctx, async () => ({
        ingresses: await control.restartService(required(req.environmentId, "environment_id"), required(req.service, "service")),
      }));
    },
  };
}
