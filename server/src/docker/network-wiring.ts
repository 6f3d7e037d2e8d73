/**
 * Egresses from a container to containers of its own environment network (SPEC §7
 * inside Docker): they go over the network, by service name and container port
 * (`DB_HOST=db`, `DB_PORT=5432`), not through the host.
 *
 * With observe on, the egress points at a recording proxy node that runs inside rigd
 * on the host's loopback. The container still reaches it under the target's name: a
 * forwarder listens on the network's gateway (the host's address on that bridge; on the
 * target's container port when free, else on an ephemeral one, and the wiring says
 * which) and the source container's /etc/hosts maps the target's name to the gateway.
 * The forwarder only accepts connections from the network's own subnet, so containers
 * of other environments cannot use it to reach this one. Why not a proxy container on
 * the network: it needs an image (there may be no registry), costs a container start per
 * edge, and the recording proxy would still have to run in rigd to publish events.
 */
import type { Endpoint } from "../gen/rig/v1/event_pb.js";
import type { PlannedEgress } from "../contract/plan.js";
import type { PublishedEndpoint } from "../contract/service-type.js";
import { endpointAt } from "./container-wiring.js";
import { inSubnet, type EnvironmentNetwork } from "./environment-network.js";
import { openHostForwarder, type HostForwarder } from "./host-forwarder.js";

/** The egresses that go over the network; close the forwarders at release. */
export interface NetworkEgresses {
  /** By egress name; egresses to anything but a container on the network are absent. */
  readonly egresses: Record<string, Endpoint>;
  /** `name:gateway` host entries for proxied targets. */
  readonly extraHosts: readonly string[];
  readonly forwarders: readonly HostForwarder[];
}

/** Rewrites each egress whose (real) target is a container on `network`. */
export async function networkEgresses(
  network: EnvironmentNetwork,
  planned: readonly PlannedEgress[],
  resolved: Readonly<Record<string, Endpoint>>,
  templates: Readonly<Record<string, PublishedEndpoint>> | undefined,
): Promise<NetworkEgresses> {
  const egresses: Record<string, Endpoint> = {};
  const extraHosts = new Set<string>();
  const forwarders: HostForwarder[] = [];
  try {
    for (const egress of planned) {
      const target = egress.origin ?? { service: egress.service, ingress: egress.ingress };
      const containerPort = network.containerPort(target.service, target.ingress);
      const endpoint = resolved[egress.name];
      if (containerPort === undefined || !endpoint) continue;
      if (!egress.origin) {
        egresses[egress.name] = endpointAt(endpoint, templates?.[egress.name], target.service, containerPort);
        continue;
      }
      const forwarder = await openHostForwarder(
        network.gateway,
        { host: endpoint.host, port: endpoint.port },
        { preferredPort: containerPort, accept: (address) => inSubnet(address, network.subnet) },
      );
      forwarders.push(forwarder);
      extraHosts.add(`${target.service}:${network.gateway}`);
      egresses[egress.name] = endpointAt(endpoint, templates?.[egress.name], target.service, forwarder.port);
    }
  } catch (err) {
    await Promise.all(forwarders.map((f) => f.close()));
    throw new Error(`cannot route an egress over network ${network.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { egresses, extraHosts: [...extraHosts], forwarders };
}
