/**
 * The labels rig puts on every container it creates, so a later rigd can tell whose a
 * container is (reaping) and a test can check that nothing leaked.
 */
import { hostname } from "node:os";

/** Label naming the owning rigd (its id). Every rig container has it. */
export const LABEL_RIGD = "rig.rigd";
/** Label with the owning rigd's pid, for the liveness check of the reaper. */
export const LABEL_RIGD_PID = "rig.rigd.pid";
/** Label with the owning rigd's host name: a shared engine must not reap other hosts' containers. */
export const LABEL_RIGD_HOST = "rig.rigd.host";
/** Label with the environment instance id (service containers, environment networks). */
export const LABEL_ENVIRONMENT = "rig.environment";
/** Label with the service name (service containers). */
export const LABEL_SERVICE = "rig.service";
/** Label with the pool kind, `postgres` or `redis` (pooled backends). */
export const LABEL_POOL = "rig.pool";
/** Label with the pool key, the image (pooled backends). */
export const LABEL_POOL_KEY = "rig.pool.key";

/** Label with the key of a shared container. */
export const LABEL_SHARED_KEY = "rig.shared.key";
/** Label with the definition hash of a shared container. */
export const LABEL_SHARED_HASH = "rig.shared.hash";
/** Label of a shared container kept across rigds (reuse): reapers and watchdogs leave it. */
export const LABEL_REUSE = "rig.reuse";

/** Who owns the containers: the rigd that creates them. */
export interface RigdIdentity {
  /** Unique id of this rigd run. */
  readonly rigdId: string;
  readonly pid: number;
  /** Defaults to os.hostname(). */
  readonly host?: string;
}

/** Labels naming the owning rigd. */
export function ownerLabels(owner: RigdIdentity): Record<string, string> {
  return {
    [LABEL_RIGD]: owner.rigdId,
    [LABEL_RIGD_PID]: String(owner.pid),
    [LABEL_RIGD_HOST]: owner.host ?? hostname(),
  };
}

/** Labels of a service container: owner, environment and service. */
export function serviceLabels(owner: RigdIdentity, environment: string, service: string): Record<string, string> {
  return { ...ownerLabels(owner), [LABEL_ENVIRONMENT]: environment, [LABEL_SERVICE]: service };
}

/** Labels of an environment's network: owner and environment. */
export function networkLabels(owner: RigdIdentity, environment: string): Record<string, string> {
  return { ...ownerLabels(owner), [LABEL_ENVIRONMENT]: environment };
}

/** Labels of a pooled backend container: owner, pool kind and key. */
export function poolLabels(owner: RigdIdentity, pool: string, key: string): Record<string, string> {
  return { ...ownerLabels(owner), [LABEL_POOL]: pool, [LABEL_POOL_KEY]: key };
}
