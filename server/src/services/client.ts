/**
 * The `client` service type: start is delegated to a handler in the client process
 * through a `start` callback (SPEC §8). The server still allocates ports and checks
 * readiness; a later crash arrives as a client `service_error`, which the
 * orchestrator turns into a service failure.
 */
import { CallbackKind } from "../gen/rig/v1/event_pb.js";
import { Protocol, type ClientConfig } from "../gen/rig/v1/spec_pb.js";
import { publishLocalEndpoints } from "./publish-local.js";
import type { ServiceType } from "../contract/service-type.js";
import { runUntilStopped } from "../io/until-stopped.js";

/** The client type. Stopping is the client's job: it aborts the func on service.stopping. */
export function createClientType(): ServiceType<ClientConfig> {
  return {
    name: "client",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [] },
    configOf: (service) => (service.config.case === "client" ? service.config.value : undefined),
    validate({ service: { config }, problems }) {
      if (!config.startHandler) problems.add("client.start_handler", "client.start_handler is required (the client's start handler name)");
    },
    publish: publishLocalEndpoints,
    async start(ctx) {
      const config = ctx.service.config;
      await ctx.callback(config.startHandler, CallbackKind.START, "start");
      return runUntilStopped(`client handler "${config.startHandler}"`);
    },
  };
}
