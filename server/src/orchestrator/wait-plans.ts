/**
 * Validation of an ingress's readiness waits (Readiness.waits) into WaitPlans: every
 * problem reported at its path, every default filled.
 */
import type { Wait } from "../gen/rig/v1/spec_pb.js";
import type { WaitPlan } from "../contract/plan.js";
import type { ServiceType } from "../contract/service-type.js";
import { quote } from "../contract/limits.js";

const METHOD = /^[A-Z]+$/;

/** The waits of one ingress; `path` is the ingress's (`services[0].ingresses[1]`). */
export function planWaits(
  waits: readonly Wait[],
  type: ServiceType | undefined,
  path: string,
  report: (path: string, message: string) => void,
): WaitPlan[] {
  const planned: WaitPlan[] = [];
  waits.forEach((wait, i) => {
    const wpath = `${path}.ready.waits[${i}]`;
    const condition = wait.condition;
    switch (condition.case) {
      case "log": {
        const { pattern, times } = condition.value;
        if (!pattern) report(`${wpath}.log.pattern`, "a log wait needs a pattern");
        else if (regexProblem(pattern)) report(`${wpath}.log.pattern`, `${quote(pattern)} is not a valid regular expression: ${regexProblem(pattern)}`);
        planned.push({ kind: "log", pattern, times: times || 1 });
        return;
      }
      case "command": {
        const { command, onHost } = condition.value;
        if (command.length === 0 || !command[0]) report(`${wpath}.command.command`, "a command wait needs a command");
        planned.push({ kind: "command", command: [...command], onHost });
        return;
      }
      case "http": {
        const { path: httpPath, status, bodyPattern, method } = condition.value;
        const p = httpPath || "/";
        if (!p.startsWith("/")) report(`${wpath}.http.path`, `must start with "/" (got ${quote(p)})`);
        if (status !== 0 && (status < 100 || status > 599)) report(`${wpath}.http.status`, `${status} is not an HTTP status`);
        if (method && !METHOD.test(method)) report(`${wpath}.http.method`, `${quote(method)} is not an HTTP method (use upper case, e.g. GET)`);
        if (bodyPattern && regexProblem(bodyPattern)) {
          report(`${wpath}.http.body_pattern`, `${quote(bodyPattern)} is not a valid regular expression: ${regexProblem(bodyPattern)}`);
        }
        planned.push({ kind: "http", path: p, method: method || "GET", status, bodyPattern });
        return;
      }
      case "healthcheck":
        if (type && !type.defaults.waits?.includes("healthcheck")) {
          report(`${wpath}.healthcheck`, `${type.name} services have no image HEALTHCHECK to wait for (container services do)`);
        }
        planned.push({ kind: "healthcheck" });
        return;
      default:
        report(wpath, "a wait needs a condition (log, command, http or healthcheck)");
    }
  });
  return planned;
}

function regexProblem(pattern: string): string | undefined {
  try {
    new RegExp(pattern);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
