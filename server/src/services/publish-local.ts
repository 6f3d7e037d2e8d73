/**
 * Publish for types that listen on the host: one allocated loopback port per ingress.
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
