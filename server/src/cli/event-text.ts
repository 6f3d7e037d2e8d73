/**
 * One event as a line of text for `rig events` (without --json): clock time, service,
 * type and what matters of the payload.
 */
import { LogStream, type Event } from "../gen/rig/v1/event_pb.js";
import type { CliOutput } from "./cli-output.js";
import { clockTime } from "./duration-text.js";
import { eventMs } from "./run-store.js";
import { TrafficCounter, errorText, nodeName, statusText, whatText } from "./traffic-entry.js";

/** Renders events one by one (traffic is numbered like `rig traffic` numbers it). */
export class EventText {
  private readonly traffic = new TrafficCounter();

  constructor(private readonly out: CliOutput) {}

  /** The line for `event`. */
  line(event: Event): string {
    const s = this.out.style;
    const who = event.service ? `[${event.service}] ` : "";
    const head = `${s.dim(clockTime(eventMs(event)))} ${String(event.seq).padStart(4)} ${who}`;
    const p = event.payload;
    const call = this.traffic.entry(event);
    if (call) {
      const status = call.ok ? statusText(call) : s.red(statusText(call));
      const error = errorText(call);
      return `${head}${event.type} #${call.n} ${nodeName(call.source)} -> ${call.target} ${whatText(call)} ${status}${error ? ` ${error}` : ""}`;
    }
    switch (p.case) {
      case "serviceLog":
        return `${head}${p.value.stream === LogStream.STDERR ? s.yellow("stderr") : "stdout"}| ${p.value.line}`;
      case "serviceFailed":
        return `${head}${s.red(`service.failed (${p.value.phase}): ${p.value.reason}`)}`;
      case "environmentFailing":
        return `${head}${s.red(`environment.failing: ${p.value.service}: ${p.value.reason}`)}`;
      case "environmentDown":
        return `${head}environment.down: ${p.value.summary.split("\n")[0]}`;
      case "environmentCreated":
        return `${head}environment.created ${p.value.name}`;
      case "progressStall":
        return `${head}${s.yellow(`progress.stall: ${p.value.message}`)}`;
      case "testNote":
        return `${head}test.note${p.value.level ? ` ${p.value.level}` : ""}: ${p.value.message}`;
      case "serviceStarting":
        return `${head}service.starting${p.value.detail ? `: ${p.value.detail}` : ""}`;
      case "ingressPublished":
        return `${head}ingress.published ${Object.entries(p.value.ingresses)
          .map(([n, e]) => `${n}=${e.host}:${e.port}`)
          .join(" ")}`;
      case "artifactFailed":
        return `${head}${s.red(`artifact.failed ${p.value.key}: ${p.value.error}`)}`;
      case "artifactStarted":
      case "artifactCached":
      case "artifactCompleted":
        return `${head}${event.type} ${p.value.key}`;
      case "callbackRequest":
        return `${head}callback.request ${p.value.phase} "${p.value.name}"`;
      case "callbackResponse":
        return `${head}callback.response${p.value.error ? ` error: ${p.value.error}` : " ok"}`;
      case "serviceStopped":
        return `${head}service.stopped${p.value.signal ? ` by ${p.value.signal}` : ` exit ${p.value.exitCode}`}`;
      case "serviceError":
        return `${head}${s.red(`service.error: ${p.value.error}`)}`;
      default:
        return `${head}${event.type}`;
    }
  }
}
