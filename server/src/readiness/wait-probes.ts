/**
 * Readiness waits beyond the protocol check (Readiness.waits): a log line, a command that
 * exits 0, an HTTP status and body, and `allOf` that combines them with the protocol
 * check. Types add their own (a command inside a container, the image's HEALTHCHECK)
 * through ServiceType.waitProbe; these are the generic ones.
 *
 * A wait that passed stays passed (a log line seen is seen). Costly checks are spaced
 * (`minIntervalMs`) whatever the polling loop's pace: it polls every 2 ms while young,
 * fine for a dial, not for spawning a command.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";
import type { WaitPlan } from "../contract/plan.js";
import type { ReadinessProbe } from "../contract/service-type.js";
import { describeFailure, withAttemptDeadline } from "./attempt-deadline.js";
import type { ProbeTarget } from "./tcp-probe.js";

/** One check of a wait (a command, a request) may take this long; the probes of allOf get a signal bounded by it. */
const WAIT_ATTEMPT_TIMEOUT_MS = 10_000;
/** Bytes of a response body an HTTP wait reads. */
const MAX_BODY = 64 * 1024;

/** A condition of `allOf`: what it waits for (in words) and how to check it. */
export interface WaitPart {
  readonly what: string;
  readonly probe: ReadinessProbe;
  /** Least time between two checks. Default 0. */
  readonly minIntervalMs?: number;
}

/** What a wait waits for, in words, for progress and timeout messages. */
export function describeWait(wait: WaitPlan): string {
  switch (wait.kind) {
    case "log":
      return `a log line matching /${wait.pattern}/${wait.times > 1 ? ` (${ordinal(wait.times)} time)` : ""}`;
    case "command":
      return `\`${wait.command.join(" ")}\` to exit 0${wait.onHost ? " on the host" : ""}`;
    case "http":
      return `${wait.method} ${wait.path} to answer ${wait.status || "2xx"}${wait.bodyPattern ? ` with a body matching /${wait.bodyPattern}/` : ""}`;
    case "healthcheck":
      return "the image's HEALTHCHECK to report healthy";
  }
}

/** Ready once every part is: each part is checked until it passes, then no more. */
export function allOf(parts: readonly WaitPart[]): ReadinessProbe {
  const passed = new Set<number>();
  const last = new Map<number, { at: number; detail: string }>();
  return async (signal) => {
    const pending = parts.map((part, i) => ({ part, i })).filter(({ i }) => !passed.has(i));
    const results = await Promise.all(
      pending.map(async ({ part, i }) => {
        const previous = last.get(i);
        if (previous && Date.now() - previous.at < (part.minIntervalMs ?? 0)) return { i, ready: false, detail: previous.detail };
        const result = await withAttemptDeadline(signal, WAIT_ATTEMPT_TIMEOUT_MS, (attempt) => part.probe(attempt));
        if (result.ready) passed.add(i);
        else last.set(i, { at: Date.now(), detail: result.detail ?? "" });
        return { i, ready: result.ready, detail: result.detail ?? "" };
      }),
    );
    const unmet = results.find((r) => !r.ready);
    if (!unmet) return { ready: true };
    const what = parts[unmet.i]!.what;
    return { ready: false, detail: `waiting for ${what}${unmet.detail ? ` (${unmet.detail})` : ""}` };
  };
}

/** Counts lines of a service's output that match a log wait; fed by the caller. */
export class LineCounter {
  private readonly pattern: RegExp;
  private seen = 0;

  constructor(readonly wait: Extract<WaitPlan, { kind: "log" }>) {
    this.pattern = new RegExp(wait.pattern);
  }

  /** Counts `line` when it matches. */
  line(text: string): void {
    if (this.pattern.test(text)) this.seen++;
  }

  /** The service started again: earlier lines no longer count. */
  reset(): void {
    this.seen = 0;
  }

  readonly probe: ReadinessProbe = async () =>
    this.seen >= this.wait.times ? { ready: true } : { ready: false, detail: `seen ${this.seen} of ${this.wait.times}` };
}

/** Ready when `command` exits 0; runs on the host with `env` in `cwd`. */
export function hostCommandProbe(command: readonly string[], options: { readonly env: NodeJS.ProcessEnv; readonly cwd: string }): ReadinessProbe {
  return (signal) =>
    new Promise((resolve) => {
      let stderr = "";
      const child = spawn(command[0]!, command.slice(1), { env: options.env, cwd: options.cwd, stdio: ["ignore", "ignore", "pipe"], signal });
      child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.once("error", (err) => resolve({ ready: false, detail: describeFailure(err, signal) }));
      child.once("close", (code, sig) => {
        if (code === 0) return resolve({ ready: true });
        const lastLine = stderr.trim().split("\n").at(-1) ?? "";
        resolve({ ready: false, detail: `${code === null ? `killed by ${sig}` : `exited with ${code}`}${lastLine ? `: ${lastLine}` : ""}` });
      });
    });
}

/** Ready when `method path` answers the wanted status with a body matching the pattern. */
export function httpWaitProbe(target: ProbeTarget, wait: Extract<WaitPlan, { kind: "http" }>): ReadinessProbe {
  const body = wait.bodyPattern ? new RegExp(wait.bodyPattern) : undefined;
  const statusOk = (status: number): boolean => (wait.status ? status === wait.status : status >= 200 && status < 300);
  return (signal) =>
    new Promise((resolve) => {
      const options = { host: target.host, port: target.port, path: wait.path, method: wait.method, agent: false, signal };
      const request = http.request(options, (response) => {
        const status = response.statusCode ?? 0;
        let text = "";
        response.on("data", (d: Buffer) => {
          if (text.length < MAX_BODY) text += d.toString("utf8");
        });
        response.once("error", (err) => resolve({ ready: false, detail: describeFailure(err, signal) }));
        response.once("end", () => {
          if (!statusOk(status)) return resolve({ ready: false, detail: `got ${status}` });
          if (body && !body.test(text)) return resolve({ ready: false, detail: `got ${status}, body ${JSON.stringify(text.slice(0, 80))}` });
          resolve({ ready: true });
        });
      });
      request.once("error", (err) => resolve({ ready: false, detail: describeFailure(err, signal) }));
      request.end();
    });
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}
