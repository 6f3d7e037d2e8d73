/**
 * Builders for `s3` and `sqs` services: a bucket or a queue of its own per environment
 * on rigd's pooled S3/SQS-compatible server (moto's), removed at teardown. Their ingress
 * publishes AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * S3_BUCKET, or SQS_QUEUE_URL and SQS_QUEUE_NAME.
 */
import { create } from "@bufbuild/protobuf";
import { S3ConfigSchema, SqsConfigSchema } from "../gen/rig/v1/spec_pb.js";
import type { ServiceConfig } from "./service-builder.js";
import { ServiceBuilder } from "./service-builder.js";

/** A bucket of its own. Address it path-style (`forcePathStyle: true` in the AWS SDK). */
export class S3Builder extends ServiceBuilder {
  #region = "";

  /** The bucket's region (default us-east-1). */
  region(region: string): this {
    this.#region = region;
    return this;
  }

  protected override config(): ServiceConfig {
    return { case: "s3", value: create(S3ConfigSchema, { region: this.#region }) };
  }
}

/** A queue of its own. */
export class SqsBuilder extends ServiceBuilder {
  #region = "";
  #fifo = false;

  /** The queue's region (default us-east-1). */
  region(region: string): this {
    this.#region = region;
    return this;
  }

  /** A FIFO queue (its name ends in .fifo; messages need a MessageGroupId). */
  fifo(fifo = true): this {
    this.#fifo = fifo;
    return this;
  }

  protected override config(): ServiceConfig {
    return { case: "sqs", value: create(SqsConfigSchema, { region: this.#region, fifo: this.#fifo }) };
  }
}
