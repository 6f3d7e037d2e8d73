/**
 * The normalized, validated form of an EnvironmentSpec that the orchestrator runs.
 * Validation fills every default (ingress names, protocols, readiness, egress names)
 * so nothing downstream re-derives them.
 */
import type { Protocol } from "../gen/rig/v1/spec_pb.js";
import type { Hook, Service } from "../gen/rig/v1/spec_pb.js";
import type { ResourceClaim } from "./resource-locks.js";

/** Name of the virtual node that depends on every real service (SPEC §4). */
export const TEST_NODE = "~test";

/** Type of the ~test node; rigd registers an implementation under this name. */
export const TEST_NODE_TYPE = "test";

/** One more readiness condition of an ingress (Readiness.waits), defaults filled. */
export type WaitPlan =
  | { readonly kind: "log"; readonly pattern: string; readonly times: number }
  | { readonly kind: "command"; readonly command: readonly string[]; readonly onHost: boolean }
  | { readonly kind: "http"; readonly path: string; readonly method: string; readonly status: number; readonly bodyPattern: string }
  | { readonly kind: "healthcheck" };

/** How readiness of one ingress is checked, with every default filled. */
export interface ReadinessPlan {
  readonly kind: "tcp" | "http" | "grpc" | "none";
  /** HTTP GET path (kind http). */
  readonly httpPath: string;
  /** Statuses below this are ready (kind http): 500 for the default `/`, 400 for a path the spec names. */
  readonly httpReadyBelow?: number;
  /** grpc.health.v1 service name (kind grpc). */
  readonly grpcService: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly maxIntervalMs: number;
  /** Conditions that must hold besides `kind`'s check (all of them); none when absent. */
  readonly waits?: readonly WaitPlan[];
}

/** One ingress of a planned service. */
export interface PlannedIngress {
  readonly name: string;
  readonly protocol: Protocol;
  readonly ready: ReadinessPlan;
  /** Attribute templates over ${HOST}, ${PORT}, ${HOSTPORT}; resolved after publish. */
  readonly attributes: Readonly<Record<string, string>>;
  /** Port inside a container; 0 when unset. */
  readonly containerPort: number;
}

/** One egress of a planned service: the local name and the target it resolves to. */
export interface PlannedEgress {
  readonly name: string;
  readonly service: string;
  readonly ingress: string;
  /** When routed through a proxy node (observe), the real target the proxy forwards to. */
  readonly origin?: { readonly service: string; readonly ingress: string };
}

/** One node of the environment graph, ready to run. */
export interface PlannedService<C = unknown> {
  readonly name: string;
  /** Registered type name (process, container, ..., the internal test and proxy, or a custom type). */
  readonly type: string;
  /** The service as declared (internal nodes get a synthetic one). */
  readonly spec: Service;
  /** The type's config, as its `configOf` read it (internal nodes: set by the server). */
  readonly config: C;
  readonly ingresses: readonly PlannedIngress[];
  readonly egresses: readonly PlannedEgress[];
  /** Services that must be ready before this one starts: egress targets, plus all services for ~test. */
  readonly dependsOn: readonly string[];
  readonly prestart: readonly Hook[];
  readonly init: readonly Hook[];
  /** Resources held while the service runs (taken before publish, released after stop). */
  readonly requires: readonly ResourceClaim[];
  /** Inserted by the server (~test, proxies), not declared by the user. */
  readonly internal: boolean;
}

/** A whole validated environment. */
export interface EnvironmentPlan {
  readonly name: string;
  /** Services in a dependency order (targets before dependents); ~test last. */
  readonly services: readonly PlannedService[];
  readonly observe: boolean;
  /** Client working directory; default cwd of processes. */
  readonly dir: string;
  /** Client environment; processes inherit it under the wiring vars. */
  readonly hostEnv: Readonly<Record<string, string>>;
  readonly ttlMs: number | undefined;
  readonly orphanGraceMs: number;
  readonly stallTimeoutMs: number;
  readonly callbackTimeoutMs: number;
}
