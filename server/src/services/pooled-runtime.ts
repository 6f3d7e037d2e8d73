/**
 * The runtime choice of the pooled types (postgres, redis): what the spec asks for, and
 * the artifact that prepares it (the image for Docker, the host's binaries for host,
 * whichever the engine's presence picks for auto).
 */
import { Runtime } from "../gen/rig/v1/spec_pb.js";
import type { RequestedRuntime, RuntimeChooser } from "../pools/server-runtime.js";
import type { Artifact } from "../contract/service-type.js";

/** The spec's runtime enum as the pools spell it. */
export function requestedRuntime(runtime: Runtime): RequestedRuntime {
  switch (runtime) {
    case Runtime.DOCKER:
      return "docker";
    case Runtime.HOST:
      return "host";
    default:
      return "auto";
  }
}

/**
 * The artifact of a pooled server: `image` under Docker; under host, finding the binaries
 * (`findHost` throws an error that says how to install them); under auto, whichever the
 * engine's presence picks when it resolves.
 */
export function pooledServerArtifact(
  kind: string,
  requested: RequestedRuntime,
  runtimes: RuntimeChooser,
  image: Artifact,
  findHost: () => unknown,
): Artifact {
  const host: Artifact = {
    key: `host-binaries:${kind}`,
    description: `the host's ${kind} binaries`,
    resolve: async () => findHost(),
  };
  if (requested === "docker") return image;
  if (requested === "host") return host;
  return {
    key: `auto:${image.key}`,
    description: `${image.description}, or the host's ${kind} binaries without a Docker engine`,
    // A locally present image is used as it is (never pulled), as with runtime docker.
    isCached: async (signal) => (await runtimes.choose("auto")) === "docker" && (await image.isCached?.(signal)) === true,
    resolve: async (signal) => ((await runtimes.choose("auto")) === "docker" ? image.resolve(signal) : host.resolve(signal)),
  };
}
