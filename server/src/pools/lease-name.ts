/**
 * Names of per-environment resources on shared servers (buckets, queues, namespaces):
 * the service's name made valid for all of them, and a random suffix so parallel
 * environments never collide.
 */
import { randomBytes } from "node:crypto";

/** `<service>-<10 hex>`: lower-case letters, digits and '-', at most 51 characters. */
export function leaseName(service: string): string {
  const base = service.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^-+/, "").slice(0, 40) || "rig";
  return `${base}-${randomBytes(5).toString("hex")}`;
}
