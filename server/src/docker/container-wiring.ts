/**
 * Wiring as a container sees it (SPEC §7 inside Docker).
 *
 * - Its own ingresses: it listens on 0.0.0.0 inside, on the container port (the host
 *   port when none is configured); the engine maps the allocated host port to it.
 * - Its egresses: host services listen on 127.0.0.1 only, which a container cannot reach
 *   (its loopback is its own), and publishing them on every interface would expose test
 *   services beyond the machine. So each loopback egress target gets a forwarder on the
 *   Docker bridge gateway (what `host.docker.internal` maps to), owned by the service and
 *   closed on release; the container is told `host.docker.internal:<forwarder port>`.
 *   Host networking would avoid the forwarders but lose port mapping and isolation: two
 *   environments of one image would fight over the same container port.
 * Attributes are re-resolved from their ${HOST}/${PORT}/${HOSTPORT} templates against
 * the rewritten address.
 */
import { create } from "@bufbuild/protobuf";
import { EndpointSchema, type Endpoint } from "../gen/rig/v1/event_pb.js";
import type { PlannedIngress } from "../contract/plan.js";
import type { PublishedEndpoint } from "../contract/service-type.js";
import { resolveAttributes } from "../wiring/templates.js";
import { openHostForwarder, type HostForwarder } from "./host-forwarder.js";

/** The name containers use for the host. */
export const HOST_ALIAS = "host.docker.internal";
/** The extra-hosts entry that makes HOST_ALIAS work on Linux engines. */
export const HOST_GATEWAY_ENTRY = `${HOST_ALIAS}:host-gateway`;
/** Where a container's own servers listen. */
const LISTEN_ALL = "0.0.0.0";

/** True for addresses only the host itself can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/** The port a container listens on for an ingress: its container port, else the host port. */
export function containerPortOf(ingress: PlannedIngress, hostPort: number): number {
  return ingress.containerPort || hostPort;
}

/** The container's own ingresses as it sees them: 0.0.0.0 and the container port. */
export function containerIngresses(
  planned: readonly PlannedIngress[],
  resolved: Readonly<Record<string, Endpoint>>,
): Record<string, Endpoint> {
  const out: Record<string, Endpoint> = {};
  for (const ingress of planned) {
    const endpoint = resolved[ingress.name];
    if (!endpoint) continue;
    const port = containerPortOf(ingress, endpoint.port);
    out[ingress.name] = create(EndpointSchema, {
      host: LISTEN_ALL,
      port,
      protocol: endpoint.protocol,
      attributes: resolveAttributes(ingress.attributes, LISTEN_ALL, port),
    });
  }
  return out;
}

/** Container-side egresses and the forwarders that carry them; close the forwarders at release. */
export interface ContainerEgresses {
  readonly egresses: Record<string, Endpoint>;
  readonly forwarders: readonly HostForwarder[];
}

/**
 * Rewrites each loopback egress to `host.docker.internal:<forwarder>`, one forwarder per
 * distinct target, bound on `gateway`. `templates` are the targets' published attribute
 * templates (from publish); without one, `host:port` is replaced textually.
 */
export async function containerEgresses(
  gateway: string,
  resolved: Readonly<Record<string, Endpoint>>,
  templates: Readonly<Record<string, PublishedEndpoint>> | undefined,
): Promise<ContainerEgresses> {
  const byTarget = new Map<string, HostForwarder>();
  const egresses: Record<string, Endpoint> = {};
  try {
    for (const [name, endpoint] of Object.entries(resolved)) {
      if (!isLoopback(endpoint.host)) {
        egresses[name] = endpoint;
        continue;
      }
      const target = `${endpoint.host}:${endpoint.port}`;
      let forwarder = byTarget.get(target);
      if (!forwarder) {
        forwarder = await openHostForwarder(gateway, { host: endpoint.host, port: endpoint.port });
        byTarget.set(target, forwarder);
      }
      egresses[name] = endpointAt(endpoint, templates?.[name], HOST_ALIAS, forwarder.port);
    }
  } catch (err) {
    await Promise.all([...byTarget.values()].map((f) => f.close()));
    throw new Error(`cannot forward an egress into the container: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { egresses, forwarders: [...byTarget.values()] };
}

/**
 * `endpoint` as reached at `host:port` instead: attributes re-resolved from the target's
 * published `template` (without one, the old `host:port` is replaced textually).
 */
export function endpointAt(endpoint: Endpoint, template: PublishedEndpoint | undefined, host: string, port: number): Endpoint {
  const old = `${endpoint.host}:${endpoint.port}`;
  const attributes = template
    ? resolveAttributes(template.attributes, host, port)
    : Object.fromEntries(Object.entries(endpoint.attributes).map(([k, v]) => [k, v.split(old).join(`${host}:${port}`)]));
  return create(EndpointSchema, { host, port, protocol: endpoint.protocol, attributes });
}
