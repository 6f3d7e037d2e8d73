/**
 * The rig TypeScript SDK: declare services with builders, bring them up with `rig.up`,
 * talk to their endpoints, tear down. rigd is found or started automatically.
 *
 * ```ts
 * await using env = await rig.up({ api: rig.process("./api"), db: rig.postgres() });
 * ```
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { S3Builder, SqsBuilder } from "./builders/aws-builders.js";
import { ContainerBuilder } from "./builders/container-builder.js";
import { CustomBuilder } from "./builders/custom-builder.js";
import { FuncBuilder } from "./builders/func-builder.js";
import { GoBuilder } from "./builders/go-builder.js";
import { NodeBuilder } from "./builders/node-builder.js";
import { BuildSource, type BuildOptions } from "./builders/image-build.js";
import { wait } from "./builders/waits.js";
import { KafkaBuilder } from "./builders/kafka-builder.js";
import { PostgresBuilder } from "./builders/postgres-builder.js";
import { ProcessBuilder } from "./builders/process-builder.js";
import { RedisBuilder } from "./builders/redis-builder.js";
import { TemporalBuilder } from "./builders/temporal-builder.js";
import type { FuncFn } from "./callbacks/handlers.js";
import { up } from "./environment/up.js";
import { lockAll, Resource, type ResourceOptions } from "./locks/resource.js";

/** Entry points of the SDK: service builders and `up`. */
export const rig = Object.freeze({
  /** A host process: `rig.process("./bin/api", "--port", "${PORT}")`. */
  process: (command: string, ...args: string[]): ProcessBuilder => new ProcessBuilder(command, args),
  /**
   * A Node.js script run with the test's own node: `rig.node("server.js")`, or TypeScript
   * through Node's type stripping: `rig.node("src/server.ts")`; `.build("npm", "run", "build")`
   * runs a build first (skipped while nothing changed since its last success).
   */
  node: (script: string, ...args: string[]): NodeBuilder => new NodeBuilder(script, args),
  /** A Go program rigd builds (cached) and runs: `rig.go("./cmd/api")`, `rig.go("example.com/x/cmd/y@v1.2.3")`. */
  go: (pkg: string, ...args: string[]): GoBuilder => new GoBuilder(pkg, args),
  /** A service run by a function of the test process. */
  func: (fn: FuncFn): FuncBuilder => new FuncBuilder(fn),
  /** A Docker container, from an image name or `rig.build(...)`. */
  container: (image: string | BuildSource): ContainerBuilder => new ContainerBuilder(image),
  /** An image built from a Dockerfile: `rig.container(rig.build("./images/api", { args: { V: "1" } }))`. */
  build: (context: string, options?: BuildOptions): BuildSource => new BuildSource(context, options),
  /** A database of its own on a pooled Postgres server. */
  postgres: (): PostgresBuilder => new PostgresBuilder(),
  /** A database number of its own on a pooled Redis server. */
  redis: (): RedisBuilder => new RedisBuilder(),
  /** A bucket of its own on rigd's pooled S3-compatible server: attributes AWS_ENDPOINT_URL, AWS_REGION, S3_BUCKET, credentials. */
  s3: (): S3Builder => new S3Builder(),
  /** A queue of its own on rigd's pooled SQS-compatible server: attributes AWS_ENDPOINT_URL, AWS_REGION, SQS_QUEUE_URL, credentials. */
  sqs: (): SqsBuilder => new SqsBuilder(),
  /** A namespace of its own on rigd's pooled Temporal dev server: attributes TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE. */
  temporal: (): TemporalBuilder => new TemporalBuilder(),
  /** Kafka topics of their own (a prefix) on a pooled Kafka broker, with a schema registry. */
  kafka: (): KafkaBuilder => new KafkaBuilder(),
  /** A service of a type provided by a rigd plugin. */
  custom: (type: string, config?: JsonObject): CustomBuilder => new CustomBuilder(type, config),
  up,
  /** Readiness conditions for `ready`: `rig.wait.log(/listening/)`, `.command([...])`, `.http(path)`, `.healthcheck()`, `.allOf(...)`. */
  wait,
  /** A resource shared with other test processes (any language): `rig.resource("db").lock()`. */
  resource: (name: string, options?: ResourceOptions): Resource => new Resource(name, options),
  /** Locks several resources at once, atomically, in one global order (no deadlock). */
  lockAll,
});

export { S3Builder, SqsBuilder } from "./builders/aws-builders.js";
export { ContainerBuilder, type SharedOptions } from "./builders/container-builder.js";
export { CustomBuilder } from "./builders/custom-builder.js";
export type { DurationInput } from "./builders/duration.js";
export { FuncBuilder } from "./builders/func-builder.js";
export { GoBuilder } from "./builders/go-builder.js";
export { HostProgramBuilder } from "./builders/host-program-builder.js";
export { NodeBuilder } from "./builders/node-builder.js";
export { BuildSource, type BuildOptions } from "./builders/image-build.js";
export { WaitFor } from "./builders/waits.js";
export { KafkaBuilder } from "./builders/kafka-builder.js";
export type { IngressOptions, ReadinessInput, ReadinessOptions } from "./builders/ingress-options.js";
export { PostgresBuilder } from "./builders/postgres-builder.js";
export type { PoolRuntime } from "./builders/pool-runtime.js";
export { ProcessBuilder } from "./builders/process-builder.js";
export { RedisBuilder } from "./builders/redis-builder.js";
export { TemporalBuilder } from "./builders/temporal-builder.js";
export type { EgressOptions, RequireOptions } from "./builders/service-builder.js";
export { ServiceBuilder } from "./builders/service-builder.js";
export type { FuncCleanup, FuncContext, FuncFn, HookContext, HookFn } from "./callbacks/handlers.js";
export { HandlerRegistry } from "./callbacks/handlers.js";
export type { FuncLogger, FuncOutput } from "./callbacks/func-logger.js";
export type { ExecOptions, ExecResult, LogLine } from "./environment/service-operations.js";
export type { Endpoint, KafkaEndpoint, ProtocolName } from "./environment/endpoint.js";
export type {
  DownOptions,
  EventsOptions,
  StartedEnvironment,
  StoppedEnvironment,
} from "./environment/started-environment.js";
export type { EnvironmentOf, UpOptions } from "./environment/up.js";
export { Wiring } from "./environment/wiring.js";
export type { Services, SpecOptions } from "./spec/build-spec.js";
export { buildSpec } from "./spec/build-spec.js";
export type { TestContextLike } from "./test-runner/test-context.js";
export type { DownDetails, SpecProblem } from "./errors.js";
export { RigDaemonError, RigEnvironmentError, RigError, RigSpecError, RigStartupTimeoutError } from "./errors.js";
export type { Event } from "./gen/rig/v1/event_pb.js";
export { HeldLock, lockAll, Resource, RigLockLostError } from "./locks/resource.js";
export type { LockOptions, ResourceOptions } from "./locks/resource.js";
export { up };
