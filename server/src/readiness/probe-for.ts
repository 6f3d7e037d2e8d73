/**
 * Picks the protocol's default readiness check for one ingress (SPEC §4). Types that
 * bring their own check (Postgres: pg_isready) bypass this via ServiceType.readiness.
 */
import type { ReadinessPlan } from "../contract/plan.js";
import type { ReadinessProbe } from "../contract/service-type.js";
import { grpcHealthProbe } from "./grpc-health-probe.js";
import { httpProbe } from "./http-probe.js";
import { tcpProbe } from "./tcp-probe.js";
import type { ProbeTarget } from "./tcp-probe.js";

/** A probe that is always ready (readiness kind "none"). */
export const alwaysReady: ReadinessProbe = async () => ({ ready: true });

/** The readiness probe `plan` asks for, aimed at `endpoint`. */
export function probeFor(endpoint: ProbeTarget, plan: ReadinessPlan): ReadinessProbe {
  const target: ProbeTarget = { host: endpoint.host, port: endpoint.port };
  switch (plan.kind) {
    case "tcp":
      return tcpProbe(target);
    case "http":
      return httpProbe(target, { path: plan.httpPath, readyBelow: plan.httpReadyBelow ?? 500 });
    case "grpc":
      return grpcHealthProbe(target, { service: plan.grpcService });
    case "none":
      return alwaysReady;
  }
}
