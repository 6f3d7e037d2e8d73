/**
 * The `sqs` service type: a queue of its own per environment (FIFO when asked) on the
 * pooled moto server, deleted at release. Attributes: AWS_ENDPOINT_URL, AWS_REGION,
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, SQS_QUEUE_URL (through whatever address the
 * consumer sees, a proxy included), SQS_QUEUE_NAME.
 */
import type { SqsConfig } from "../gen/rig/v1/spec_pb.js";
import type { MotoPool } from "../pools/moto-backend.js";
import type { ServiceType } from "../contract/service-type.js";
import { createMotoLeasedType } from "./moto-leased.js";

/** The sqs type over rigd's moto pool. */
export function createSqsType(pool: MotoPool): ServiceType<SqsConfig> {
  return createMotoLeasedType<SqsConfig>(
    {
      name: "sqs",
      attributes: ["SQS_QUEUE_URL", "SQS_QUEUE_NAME"],
      configOf: (service) => (service.config.case === "sqs" ? service.config.value : undefined),
      request: (service, region) => ({ kind: "sqs", service: service.name, region, fifo: service.config.fifo }),
      // The server's URL names its own address; the path (account/queue) is what identifies the queue.
      attributesOf: (lease): Record<string, string> => (lease.kind === "sqs" ? { SQS_QUEUE_URL: `http://\${HOSTPORT}${new URL(lease.url).pathname}`, SQS_QUEUE_NAME: lease.queue } : {}),
      describe: (lease) => (lease.kind === "sqs" ? `queue ${lease.queue}` : `bucket ${lease.bucket}`),
    },
    pool,
  );
}
