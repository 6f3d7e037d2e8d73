/**
 * The `s3` service type: a bucket of its own per environment on the pooled moto server,
 * emptied and removed at release. Attributes: AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, S3_BUCKET (clients use path-style addressing).
 */
import type { S3Config } from "../gen/rig/v1/spec_pb.js";
import type { MotoPool } from "../pools/moto-backend.js";
import type { ServiceType } from "../contract/service-type.js";
import { createMotoLeasedType } from "./moto-leased.js";

/** The s3 type over rigd's moto pool. */
export function createS3Type(pool: MotoPool): ServiceType<S3Config> {
  return createMotoLeasedType<S3Config>(
    {
      name: "s3",
      attributes: ["S3_BUCKET"],
      configOf: (service) => (service.config.case === "s3" ? service.config.value : undefined),
      request: (service, region) => ({ kind: "s3", service: service.name, region }),
      attributesOf: (lease): Record<string, string> => (lease.kind === "s3" ? { S3_BUCKET: lease.bucket } : {}),
      describe: (lease) => (lease.kind === "s3" ? `bucket ${lease.bucket}` : `queue ${lease.queue}`),
    },
    pool,
  );
}
