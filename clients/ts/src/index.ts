/**
 * The rig TypeScript SDK: declare services with builders, bring them up with `rig.up`,
 * talk to their endpoints, tear down. rigd is found or started automatically.
 *
 * ```ts
 * await using env = await rig.up({ api: rig.process("./api"), db: rig.postgres() });
 * ```
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { ContainerBuilder } from "./builders/container-builder.js";
import { CustomBuilder } from "./builders/custom-builder.js";
import { FuncBuilder } from "./builders/func-builder.js";
import { KafkaBuilder } from "./builders/kafka-builder.js";
import { PostgresBuilder } from "./builders/postgres-builder.js";
import { ProcessBuilder } from "./builders/process-builder.js";
import { RedisBuilder } from "./builders/redis-builder.js";
import type { FuncFn } from "./callbacks/handlers.js";
import { up } from "./environment/up.js";
import { lockAll, Resource, type ResourceOptions } from "./locks/resource.js";

/** Entry points of the SDK: service builders and `up`. */
export const rig = Object.freeze({
  /** A host process: `rig.process("./bin/api", "--port", "${PORT}")`. */
  process: (command: string, ...args: string[]): ProcessBuilder => new ProcessBuilder(command, args),
  /** A Node.js script run with the test's own node: `rig.node("server.js")`. */
  node: (script: string, ...args: string[]): ProcessBuilder => new ProcessBuilder(process.execPath, [script, ...args]),
  /** A service run by a function of the test process. */
  func: (fn: FuncFn): FuncBuilder => new FuncBuilder(fn),
  /** A Docker container. */
  container: (image: string): ContainerBuilder => new ContainerBuilder(image),
  /** A database of its own on a pooled Postgres server. */
  postgres: (): PostgresBuilder => new PostgresBuilder(),
  /** A database number of its own on a pooled Redis server. */
  redis: (): RedisBuilder => new RedisBuilder(),
  /** Kafka topics of their own (a prefix) on a pooled Kafka broker, with a schema registry. */
  kafka: (): KafkaBuilder => new KafkaBuilder(),
  /** A service of a type provided by a rigd plugin. */
  custom: (type: string, config?: JsonObject): CustomBuilder => new CustomBuilder(type, config),
  up,
  /** A resource shared with other test processes (any language): `rig.resource("db").lock()`. */
  resource: (name: string, options?: ResourceOptions): Resource => new Resource(name, options),
  /** Locks several resources at once, atomically, in one global order (no deadlock). */
  lockAll,
});

export { ContainerBuilder } from "./builders/container-builder.js";
export { CustomBuilder } from "./builders/custom-builder.js";
export type { DurationInput } from "./builders/duration.js";
export { FuncBuilder } from "./builders/func-builder.js";
export { KafkaBuilder } from "./builders/kafka-builder.js";
export type { IngressOptions, ReadinessInput, ReadinessOptions } from "./builders/ingress-options.js";
export { PostgresBuilder } from "./builders/postgres-builder.js";
export type { PoolRuntime } from "./builders/pool-runtime.js";
export { ProcessBuilder } from "./builders/process-builder.js";
export { RedisBuilder } from "./builders/redis-builder.js";
export type { EgressOptions } from "./builders/service-builder.js";
export { ServiceBuilder } from "./builders/service-builder.js";
export type { FuncCleanup, FuncContext, FuncFn, HookContext, HookFn } from "./callbacks/handlers.js";
export { HandlerRegistry } from "./callbacks/handlers.js";
export type { FuncLogger, FuncOutput } from "./callbacks/func-logger.js";
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
