/**
 * Turns what a test passes to `rig.up` (a map of builders and options) into the API's
 * EnvironmentSpec, registering every closure the spec refers to.
 */
import { create } from "@bufbuild/protobuf";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import { EnvironmentSpecSchema } from "../gen/rig/v1/spec_pb.js";
import type { HandlerRegistry } from "../callbacks/handlers.js";
import type { DurationInput } from "../builders/duration.js";
import { toDuration } from "../builders/duration.js";
import { ServiceBuilder } from "../builders/service-builder.js";
import { suiteLabels } from "./suite-labels.js";

/** The services of an environment, by name. */
export type Services = Readonly<Record<string, ServiceBuilder>>;

/** What goes into the spec besides the services. */
export interface SpecOptions {
  /** Environment name (prefixes the instance id, appears in logs). Default: the test's name, else "rig". */
  readonly name?: string;
  /** Record traffic on every edge (SPEC §9). Default true. */
  readonly observe?: boolean;
  /** Destroy the environment this long after creation, whatever happens. Default: no TTL. */
  readonly ttl?: DurationInput;
  /** Destroy the environment when no client has watched it this long. Default 30 s. */
  readonly orphanGrace?: DurationInput;
  /** Report progress.stall after this long without a lifecycle event while starting. Default 30 s. */
  readonly stallTimeout?: DurationInput;
  /** How long a closure hook may run before its service fails. Default 30 s. */
  readonly callbackTimeout?: DurationInput;
  /** Working directory of the test; default cwd of process services. Default process.cwd(). */
  readonly dir?: string;
  /** Environment process services inherit (under the wiring vars). Default process.env. */
  readonly hostEnv?: Readonly<Record<string, string | undefined>>;
  /** The test the environment is for (`rig.up(t, ...)` sets it): labels it inside a rig suite run. */
  readonly testName?: string;
}

/** Builds the EnvironmentSpec; throws a TypeError for things no server could accept. */
export function buildSpec(services: Services, options: SpecOptions, registry: HandlerRegistry): EnvironmentSpec {
  if (services === null || typeof services !== "object") throw new TypeError("rig.up: expected services as { name: builder }");
  const entries = Object.entries(services);
  for (const [name, builder] of entries) {
    if (!(builder instanceof ServiceBuilder)) {
      throw new TypeError(`rig.up: service "${name}" is not a rig builder (use rig.process(), rig.func(), rig.postgres(), ...)`);
    }
  }
  return create(EnvironmentSpecSchema, {
    name: environmentName(options.name),
    services: entries.map(([name, builder]) => builder.toService(name, registry)),
    observe: options.observe ?? true,
    dir: options.dir ?? process.cwd(),
    hostEnv: definedOnly(options.hostEnv ?? process.env),
    ttl: options.ttl === undefined ? undefined : toDuration(options.ttl, "ttl"),
    orphanGrace: options.orphanGrace === undefined ? undefined : toDuration(options.orphanGrace, "orphanGrace"),
    stallTimeout: options.stallTimeout === undefined ? undefined : toDuration(options.stallTimeout, "stallTimeout"),
    callbackTimeout:
      options.callbackTimeout === undefined ? undefined : toDuration(options.callbackTimeout, "callbackTimeout"),
    labels: suiteLabels(options.testName),
  });
}

/** A name rigd accepts, derived from free text such as a test's title. */
export function environmentName(text: string | undefined): string {
  const name = (text ?? "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, 40)
    .replace(/-+$/, "");
  return name || "rig";
}

/** The env minus unset values and RIG_TOKEN (services never see rigd's token; rigd scrubs it too). */
function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && key !== "RIG_TOKEN") out[key] = value;
  return out;
}
