/**
 * The readiness probe of one ingress: the type's own check or the protocol's, and, when
 * the ingress lists waits (Readiness.waits), all of those too. Log waits count the
 * service's output lines in the environment's event log from the moment it started;
 * command waits inside a container and HEALTHCHECK waits come from the type.
 */
import type { PlannedIngress } from "../contract/plan.js";
import type { ReadinessContext, ReadinessProbe, StartContext } from "../contract/service-type.js";
import type { EventLog } from "../events/event-log.js";
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import { probeFor } from "../readiness/probe-for.js";
import { allOf, describeWait, hostCommandProbe, httpWaitProbe, LineCounter, type WaitPart } from "../readiness/wait-probes.js";
import type { ServiceRuntime } from "./service-runtime.js";

/** Spacing of checks that spawn a command or call the engine. */
const COMMAND_INTERVAL_MS = 100;
/** Spacing of HTTP waits (each is a request the service sees). */
const HTTP_INTERVAL_MS = 20;

/** What building an ingress's probe needs. */
export interface IngressProbeContext {
  readonly rt: ServiceRuntime;
  readonly start: StartContext;
  readonly ingress: PlannedIngress;
  readonly endpoint: Endpoint;
  readonly log: EventLog;
  /** Seq of the last event before the service started (log waits count lines after it). */
  readonly startedAfterSeq: bigint;
  /** Client working directory (host commands run there). */
  readonly dir: string;
  readonly hostEnv: Readonly<Record<string, string>>;
}

/** The probe, and `close` to stop what it keeps running (a log follower). */
export function ingressProbe(ctx: IngressProbeContext): { probe: ReadinessProbe; close(): void } {
  const { rt, start, ingress, endpoint } = ctx;
  const readinessCtx: ReadinessContext = { ...start, ingress, endpoint };
  const check = rt.type.readiness?.(readinessCtx) ?? probeFor(endpoint, ingress.ready);
  // A proxy node copies its target's readiness plan: the waits are the target's, checked there.
  const waits = rt.planned.internal ? [] : (ingress.ready.waits ?? []);
  if (waits.length === 0) return { probe: check, close: () => {} };

  const parts: WaitPart[] = [];
  if (ingress.ready.kind !== "none") parts.push({ what: `the ${ingress.ready.kind} check on ${endpoint.host}:${endpoint.port}`, probe: check });
  const counters: LineCounter[] = [];
  for (const wait of waits) {
    const what = describeWait(wait);
    const own = rt.type.waitProbe?.(readinessCtx, wait);
    if (own) {
      parts.push({ what, probe: own, minIntervalMs: COMMAND_INTERVAL_MS });
      continue;
    }
    switch (wait.kind) {
      case "log": {
        const counter = new LineCounter(wait);
        counters.push(counter);
        parts.push({ what, probe: counter.probe });
        break;
      }
      case "command":
        parts.push({
          what,
          probe: hostCommandProbe(wait.command, { env: { ...ctx.hostEnv, ...start.wiringEnv }, cwd: ctx.dir }),
          minIntervalMs: COMMAND_INTERVAL_MS,
        });
        break;
      case "http":
        parts.push({ what, probe: httpWaitProbe(endpoint, wait), minIntervalMs: HTTP_INTERVAL_MS });
        break;
      case "healthcheck":
        throw new Error(`${rt.type.name} services cannot wait for an image HEALTHCHECK`);
    }
  }

  const follower = new AbortController();
  if (counters.length > 0) {
    void (async () => {
      for await (const event of ctx.log.follow(ctx.startedAfterSeq, follower.signal)) {
        if (event.service !== rt.name || event.payload.case !== "serviceLog") continue;
        for (const counter of counters) counter.line(event.payload.value.line);
      }
    })().catch(() => {}); // ends with the abort below or with the log
  }
  return { probe: allOf(parts), close: () => follower.abort() };
}
