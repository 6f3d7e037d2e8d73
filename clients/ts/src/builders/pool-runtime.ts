/**
 * The runtime of a pooled server (postgres, redis) as builders spell it, and its proto enum.
 */
import { Runtime } from "../gen/rig/v1/spec_pb.js";

/** `auto`: Docker when an engine answers, else host processes; `docker`; `host`. */
export type PoolRuntime = "auto" | "docker" | "host";

const RUNTIMES: Readonly<Record<PoolRuntime, Runtime>> = {
  auto: Runtime.UNSPECIFIED,
  docker: Runtime.DOCKER,
  host: Runtime.HOST,
};

/** The proto value of `runtime`; throws on a value outside the union (plain JS callers). */
export function runtimeOf(runtime: PoolRuntime): Runtime {
  const value = RUNTIMES[runtime];
  if (value === undefined) throw new TypeError(`runtime must be "auto", "docker" or "host", not ${JSON.stringify(runtime)}`);
  return value;
}
