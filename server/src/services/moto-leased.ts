/**
 * What the `s3` and `sqs` types share: a lease (a bucket, a queue) on the pooled moto
 * server (`../pools/moto-backend.ts`), taken at publish and returned at release; the
 * AWS attributes every SDK reads; ready as soon as the lease exists (publish created it
 * on a server that answers).
 */
import type { Service } from "../gen/rig/v1/spec_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { leasedService } from "../pools/leased-service.js";
import { findMotoServer, MOTO_CREDENTIALS, MOTO_KEY, type MotoLease, type MotoPool, type MotoRequest } from "../pools/moto-backend.js";
import type { PlannedService } from "../contract/plan.js";
import type { ProblemSink, ServiceType } from "../contract/service-type.js";
import { publishAt } from "./publish-local.js";

export const DEFAULT_REGION = "us-east-1";
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** Attributes both types publish. */
export const AWS_ATTRIBUTES = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;

/** What distinguishes the s3 type from the sqs type. */
export interface MotoTypeSpec<C extends { readonly region: string }> {
  readonly name: "s3" | "sqs";
  /** Attribute names besides AWS_ATTRIBUTES. */
  readonly attributes: readonly string[];
  configOf(service: Service): C | undefined;
  request(service: PlannedService<C>, region: string): MotoRequest;
  /** The type's own attributes of a lease; may use ${HOSTPORT}. */
  attributesOf(lease: MotoLease): Record<string, string>;
  /** For logs and the running service's detail: `bucket x`, `queue y`. */
  describe(lease: MotoLease): string;
}

function checkRegion(field: string, region: string, problems: ProblemSink): void {
  if (region && !REGION.test(region)) problems.add(field, `region "${region}" is not an AWS region name (like us-east-1, eu-west-2)`);
}

/** A type whose service is a lease on the pooled moto server. */
export function createMotoLeasedType<C extends { readonly region: string }>(spec: MotoTypeSpec<C>, pool: MotoPool): ServiceType<C> {
  const leases = new Map<string, { data: MotoLease; server: { name: string; exited: Promise<string> } }>();
  const keyOf = (ctx: { environment: { id: string }; service: { name: string } }): string => `${ctx.environment.id}/${ctx.service.name}`;
  return {
    name: spec.name,
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [...AWS_ATTRIBUTES, ...spec.attributes] },
    configOf: (service) => spec.configOf(service),
    validate({ service, problems }) {
      checkRegion(`${spec.name}.region`, service.config.region, problems);
      if (service.ingresses.length > 1) problems.add("ingresses", `an ${spec.name} service has exactly one ingress (the server's HTTP API)`);
    },
    artifacts: () => [{ key: "host-binaries:moto", description: "moto's server (moto_server)", resolve: async () => findMotoServer() }],
    async publish(ctx) {
      const region = ctx.service.config.region || DEFAULT_REGION;
      const lease = await pool.acquire(MOTO_KEY, spec.request(ctx.service, region), ctx.signal);
      const key = keyOf(ctx);
      leases.set(key, { data: lease.data, server: lease.backend });
      ctx.onRelease(async () => {
        leases.delete(key);
        await lease.release();
      });
      ctx.log.debug({ lease: spec.describe(lease.data), server: lease.backend.name }, `${spec.name} leased`);
      return publishAt(ctx, lease.backend, {
        AWS_ENDPOINT_URL: "http://${HOSTPORT}",
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
        ...spec.attributesOf(lease.data),
      });
    },
    async start(ctx) {
      const lease = leases.get(keyOf(ctx));
      if (!lease) throw new Error(`${spec.name} service ${ctx.service.name} has no lease (publish did not run or it was released)`);
      return leasedService(`${spec.describe(lease.data)} on ${lease.server.name}`, lease.server.exited);
    },
    // The lease exists only once the server answered and created it.
    readiness: () => async () => ({ ready: true }),
  };
}
