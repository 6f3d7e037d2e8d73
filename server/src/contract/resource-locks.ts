/**
 * Resource locks as the orchestrator sees them: a service whose spec requires resources
 * (Service.requires) starts once it holds them and lets them go when it stops. rigd's
 * composition root hands in the implementation (locks/, over the same lock table test
 * processes use through rig.v1.LockService), so environments and tests queue together.
 */

/** Longest resource name. */
export const MAX_RESOURCE_NAME = 256;

/** What is wrong with a resource name, or undefined when it is fine. */
export function resourceNameProblem(name: string): string | undefined {
  if (name && name.length <= MAX_RESOURCE_NAME && !/[\s\u0000-\u001f]/.test(name)) return undefined;
  return `bad resource name ${JSON.stringify(name.slice(0, MAX_RESOURCE_NAME))}: 1-${MAX_RESOURCE_NAME} characters, no spaces or control characters`;
}

/** A lock holder as the log and LockService name it (rig.v1.Holder, or its record on disk). */
export interface HolderFields {
  readonly testName?: string | undefined;
  readonly pid?: number | undefined;
  readonly language?: string | undefined;
  readonly environmentId?: string | undefined;
  readonly service?: string | undefined;
}

/** Who holds a lock, in words: a test process or an environment's service. */
export function describeHolder(h: HolderFields | undefined): string {
  if (!h) return "an unnamed client";
  if (h.environmentId) return `environment ${h.environmentId} service ${h.service ?? "?"}`;
  const who = [h.language, h.pid ? `pid ${h.pid}` : ""].filter(Boolean).join(" ") || "a client";
  return `${who}${h.testName ? ` (${h.testName})` : ""}`;
}

/** One resource a service holds while it runs. */
export interface ResourceClaim {
  readonly resource: string;
  /** With other shared holders (up to the resource's max parallelism); false: alone. */
  readonly shared: boolean;
}

/** The service of an environment that holds (or waits for) resources. */
export interface LockOwner {
  readonly environmentId: string;
  readonly service: string;
}

/** Resources held by a service; release is idempotent. */
export interface HeldResources {
  release(): void;
}

/** A request for every claim of one service, all at once. */
export interface ResourceRequest {
  readonly claims: readonly ResourceClaim[];
  readonly owner: LockOwner;
  /** Aborting gives up waiting: nothing stays queued. */
  readonly signal: AbortSignal;
}

/** A request that may have to wait. */
export interface PendingResources {
  /** Resolves once every claim is held; rejects when the request's signal aborts first. */
  readonly held: Promise<HeldResources>;
  /** False when the request had to queue. */
  readonly immediate: boolean;
  /** Who stands in the way right now, in words ("" once held). */
  blockers(): string;
}

/** The lock table environments share with test processes. */
export interface ResourceLocks {
  acquire(request: ResourceRequest): PendingResources;
}
