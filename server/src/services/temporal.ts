/**
 * The `temporal` service type: a namespace of its own per environment on a pooled
 * Temporal dev server (`../pools/temporal-backend.ts`), deleted at release. The artifact
 * is the Temporal CLI at the asked version, found here or built with `go install` and
 * cached (`../artifacts/temporal-cli.ts`). Attributes of its gRPC ingress:
 * TEMPORAL_ADDRESS (`host:port`, what Temporal's SDKs take) and TEMPORAL_NAMESPACE.
 */
import { Protocol, type TemporalConfig } from "../gen/rig/v1/spec_pb.js";
import type { GoBuilder } from "../artifacts/go-build.js";
import { DEFAULT_TEMPORAL_CLI_VERSION, findOrBuildTemporalCli, TEMPORAL_CLI_PACKAGE, type TemporalCli } from "../artifacts/temporal-cli.js";
import { leasedService } from "../pools/leased-service.js";
import { temporalKey, type TemporalLease, type TemporalPool, type TemporalServer } from "../pools/temporal-backend.js";
import type { ServiceType } from "../contract/service-type.js";
import { publishAt } from "./publish-local.js";

const VERSION = /^v\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/;

const versionOf = (config: TemporalConfig): string => config.version || DEFAULT_TEMPORAL_CLI_VERSION;
const artifactKey = (config: TemporalConfig): string => `temporal-cli:${versionOf(config)}`;

/** The temporal type over rigd's pool; `builder` builds the CLI when no binary of the version is here. */
export function createTemporalType(deps: { readonly pool: TemporalPool; readonly builder: GoBuilder }): ServiceType<TemporalConfig> {
  const leases = new Map<string, { data: TemporalLease; server: TemporalServer }>();
  const keyOf = (ctx: { environment: { id: string }; service: { name: string } }): string => `${ctx.environment.id}/${ctx.service.name}`;
  return {
    name: "temporal",
    defaults: { defaultProtocol: Protocol.GRPC, serverHooks: [], attributes: ["TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"] },
    configOf: (service) => (service.config.case === "temporal" ? service.config.value : undefined),
    validate({ service, problems }) {
      const { version } = service.config;
      if (version && !VERSION.test(version)) {
        problems.add("temporal.version", `temporal.version "${version}" is not a Temporal CLI module version (like ${DEFAULT_TEMPORAL_CLI_VERSION})`);
      }
      if (service.ingresses.length > 1) problems.add("ingresses", "a temporal service has exactly one ingress (the dev server's gRPC frontend)");
    },
    artifacts: (ctx) => [
      {
        key: artifactKey(ctx.service.config),
        description: `the Temporal CLI ${versionOf(ctx.service.config)} (go install ${TEMPORAL_CLI_PACKAGE}@${versionOf(ctx.service.config)} unless one is on PATH; minutes the first time)`,
        resolve: () => findOrBuildTemporalCli(versionOf(ctx.service.config), deps.builder, { ...process.env, ...ctx.environment.hostEnv }),
      },
    ],
    async publish(ctx) {
      const cli = ctx.artifacts.get(artifactKey(ctx.service.config)) as TemporalCli | undefined;
      if (!cli) throw new Error(`temporal service ${ctx.service.name}: the Temporal CLI was not resolved`);
      const lease = await deps.pool.acquire(temporalKey(cli.path), { service: ctx.service.name }, ctx.signal);
      const key = keyOf(ctx);
      leases.set(key, { data: lease.data, server: lease.backend });
      ctx.onRelease(async () => {
        leases.delete(key);
        await lease.release();
      });
      ctx.log.debug({ namespace: lease.data.namespace, server: lease.backend.name, cli: cli.path }, "temporal namespace leased");
      return publishAt(ctx, lease.backend, { TEMPORAL_ADDRESS: "${HOSTPORT}", TEMPORAL_NAMESPACE: lease.data.namespace });
    },
    async start(ctx) {
      const lease = leases.get(keyOf(ctx));
      if (!lease) throw new Error(`temporal service ${ctx.service.name} has no namespace lease (publish did not run or it was released)`);
      return leasedService(`namespace ${lease.data.namespace} on ${lease.server.name}`, lease.server.exited);
    },
    // The namespace is usable as soon as it is created (the dev server refreshes at once).
    readiness: () => async () => ({ ready: true }),
  };
}
