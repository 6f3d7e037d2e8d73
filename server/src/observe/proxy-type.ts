/**
 * The internal `proxy` service type (SPEC §9): the node the observe transform puts on
 * an edge. It republishes its target's endpoint at its own address and, when started,
 * forwards to the real target through the HTTP, gRPC, Kafka or TCP proxy core (by the target
 * ingress's protocol), appending each observation to the environment's log.
 *
 * One instance per rigd: it owns the gRPC descriptor cache every environment shares.
 *
 * The proxy cores (and the gRPC reflection client under the descriptor cache) load when
 * the first proxy of their protocol starts: a rigd whose environments observe nothing
 * never loads them, and none delays rigd's first answer.
 */
import type { Event } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { PROXY_TARGET_EGRESS, PROXY_TYPE, type ProxyConfig } from "./observe-transform.js";
import type { DescriptorCache } from "../proxy/descriptor-cache.js";
import type { AvroSchemaLookup } from "../proxy/kafka/record-value.js";
import type { ProxyOptions, RunningProxy } from "../proxy/proxy-contract.js";
import type { PublishContext, PublishedEndpoint, RunningService, ServiceType, StartContext } from "../contract/service-type.js";
import { runUntilStopped } from "../io/until-stopped.js";

/**
 * Creates the proxy type with its own descriptor cache (pass one to share or inspect it);
 * `avroSchema` lets the Kafka proxies decode Avro values by their registry id.
 */
export function createProxyType(cache?: DescriptorCache, avroSchema?: AvroSchemaLookup): ServiceType<ProxyConfig> {
  let descriptors: Promise<DescriptorCache> | undefined = cache && Promise.resolve(cache);
  const sharedCache = (): Promise<DescriptorCache> =>
    (descriptors ??= import("../proxy/descriptor-cache.js").then(({ DescriptorCache }) => new DescriptorCache()));
  return {
    name: PROXY_TYPE,
    internal: true,
    configOf: () => undefined,
    defaults: { defaultProtocol: undefined, serverHooks: [], attributes: [] },

    async publish(ctx: PublishContext<ProxyConfig>): Promise<Record<string, PublishedEndpoint>> {
      const target = ctx.egressTemplates[PROXY_TARGET_EGRESS];
      if (!target) throw new Error(`proxy ${ctx.service.name} has no "${PROXY_TARGET_EGRESS}" egress`);
      return {
        default: {
          host: "127.0.0.1",
          port: await ctx.allocatePort(),
          protocol: target.protocol,
          // Templates, not values: the orchestrator resolves them against this address.
          attributes: target.attributes,
        },
      };
    },

    async start(ctx: StartContext<ProxyConfig>): Promise<RunningService> {
      const config = ctx.service.config;
      const listen = ctx.ingresses.default;
      const target = ctx.egresses[PROXY_TARGET_EGRESS];
      if (!listen || !target) throw new Error(`proxy ${ctx.service.name} lacks its ingress or target endpoint`);
      const options: ProxyOptions = {
        listenHost: listen.host,
        listenPort: listen.port,
        target: { host: target.host, port: target.port },
        edge: { source: config.source, target: config.target, ingress: config.ingress },
        onEvent: (event) => ctx.emit(event as Event["payload"]),
      };
      const address = `${target.host}:${target.port}`;
      let proxy: RunningProxy;
      switch (config.protocol) {
        case Protocol.HTTP: {
          const { startHttpProxy } = await import("../proxy/http-proxy.js");
          proxy = await startHttpProxy(options);
          break;
        }
        case Protocol.GRPC: {
          const [{ startGrpcProxy }, shared] = await Promise.all([import("../proxy/grpc-proxy.js"), sharedCache()]);
          proxy = await startGrpcProxy({
            ...options,
            describe: (path) => shared.describe(config.reflectionKey, address, path),
            known: (path) => shared.known(config.reflectionKey, path),
          });
          break;
        }
        case Protocol.KAFKA: {
          const { startKafkaProxy } = await import("../proxy/kafka/kafka-proxy.js");
          proxy = await startKafkaProxy({ ...options, ...(avroSchema ? { avroSchema } : {}) });
          break;
        }
        default: {
          const { startTcpProxy } = await import("../proxy/tcp-proxy.js");
          proxy = await startTcpProxy(options);
        }
      }
      return runningProxy(proxy, `${protocolName(config.protocol)} proxy ${listen.host}:${proxy.port} -> ${address}`);
    },
  };
}

function runningProxy(proxy: RunningProxy, detail: string): RunningService {
  const handle = runUntilStopped(detail);
  return {
    exited: handle.exited,
    detail,
    async stop() {
      await proxy.close();
      return handle.stop();
    },
  };
}

function protocolName(protocol: Protocol): string {
  switch (protocol) {
    case Protocol.HTTP:
      return "http";
    case Protocol.GRPC:
      return "grpc";
    case Protocol.KAFKA:
      return "kafka";
    default:
      return "tcp";
  }
}
