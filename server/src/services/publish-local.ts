/**
 * Publish for types that listen on the host (one allocated loopback port per ingress)
 * and for pooled types (every ingress at the shared server).
 */
import type { PublishContext, PublishedEndpoint } from "../contract/service-type.js";

/** Maps each ingress to 127.0.0.1 and a freshly allocated port; attributes stay templates. */
export async function publishLocalEndpoints(ctx: PublishContext): Promise<Record<string, PublishedEndpoint>> {
  const endpoints: Record<string, PublishedEndpoint> = {};
  for (const ingress of ctx.service.ingresses) {
    endpoints[ingress.name] = {
      host: "127.0.0.1",
      port: await ctx.allocatePort(),
      protocol: ingress.protocol,
      attributes: ingress.attributes,
    };
  }
  return endpoints;
}

/**
 * Publish for pooled types: every ingress at the shared server's address, with the
 * type's attributes under the spec's own (which win).
 */
export function publishAt(
  ctx: Pick<PublishContext, "service">,
  address: { readonly host: string; readonly port: number },
  attributes: Readonly<Record<string, string>>,
): Record<string, PublishedEndpoint> {
  const endpoints: Record<string, PublishedEndpoint> = {};
  for (const ingress of ctx.service.ingresses) {
    endpoints[ingress.name] = { host: address.host, port: address.port, protocol: ingress.protocol, attributes: { ...attributes, ...ingress.attributes } };
  }
  return endpoints;
}
