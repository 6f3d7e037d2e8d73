/**
 * Docker container names for rig containers. Docker allows `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
 */

/** Replaces characters Docker refuses in names with `-`. */
export function dockerNameSafe(part: string): string {
  return part.replace(/[^a-zA-Z0-9_.-]/g, "-");
}

/** `rig-{instance}-{service}`: the container of one service of one environment. */
export function serviceContainerName(instanceId: string, service: string): string {
  return `rig-${dockerNameSafe(instanceId)}-${dockerNameSafe(service)}`;
}

/** `rig-{instance}`: the bridge network of one environment's containers. */
export function environmentNetworkName(instanceId: string): string {
  return `rig-${dockerNameSafe(instanceId)}`;
}
