/**
 * A container service's config as a shared container definition, and the rules a
 * shared container's service must follow (it outlives environments).
 */
import { durationMs } from "@bufbuild/protobuf/wkt";
import type { ProblemSink } from "../contract/service-type.js";
import type { PlannedIngress, PlannedService } from "../contract/plan.js";
import type { ContainerConfig, SharedContainer } from "../gen/rig/v1/spec_pb.js";
import { specDurationMs } from "../contract/durations.js";
import { builtImage } from "./image-build.js";
import type { SharedDefinition } from "./shared-containers.js";

const KEY = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DEFAULT_IDLE_MS = 60_000;
const DEFAULT_STOP_TIMEOUT_SEC = 5;

/** Reports what a shared container service may not do. */
export function validateShared(service: PlannedService<ContainerConfig>, shared: SharedContainer, problems: ProblemSink): void {
  if (!KEY.test(shared.key)) problems.add("container.shared.key", `"${shared.key}" is not a sharing key: use 1-63 letters, digits, '.', '_' or '-'`);
  specDurationMs(shared.idleTimeout, "container.shared.idle_timeout", problems, 0);
  if (service.egresses.length > 0) {
    problems.add("egresses", "a shared container outlives environments: it cannot have egresses to an environment's services");
  }
  for (const ingress of service.ingresses) {
    if (!ingress.containerPort) problems.add(`ingresses.${ingress.name}.container_port`, "a shared container's ingresses need their container_port");
  }
  shared.resetCommands.forEach((hook, i) => {
    if (hook.command.length === 0) problems.add(`container.shared.reset_commands[${i}].command`, "a reset command is required");
  });
  if (service.prestart.length > 0) problems.add("prestart", "a shared container starts once for many environments: it has no prestart hooks");
}

/** The definition of a shared container service (its image resolved in the artifact phase). */
export function sharedDefinition(
  config: ContainerConfig,
  shared: SharedContainer,
  ingresses: readonly PlannedIngress[],
  artifacts: ReadonlyMap<string, unknown>,
): SharedDefinition {
  const image = config.build ? builtImage(artifacts) : config.image;
  const main = ingresses.find((i) => i.name === "default") ?? ingresses[0];
  return {
    key: shared.key,
    image,
    cmd: config.cmd,
    entrypoint: config.entrypoint,
    // Its own address as the container sees it; no per-environment wiring.
    env: { ...(main ? { HOST: "0.0.0.0", PORT: String(main.containerPort) } : {}), ...config.env },
    ports: ingresses.map((i) => i.containerPort),
    reset: shared.resetCommands.map((hook) => hook.command),
    idleMs: (shared.idleTimeout && durationMs(shared.idleTimeout)) || DEFAULT_IDLE_MS,
    reuse: shared.reuse,
    stopTimeoutSec: Math.ceil(((config.stopTimeout && durationMs(config.stopTimeout)) || DEFAULT_STOP_TIMEOUT_SEC * 1000) / 1000),
  };
}
