/**
 * Docker images as artifacts (SPEC §6): pulled only when absent locally, so locally
 * built images work offline. The generic resolver dedupes by key and emits events; this
 * file only knows how to check for and pull one image.
 */
import type Docker from "dockerode";
import type { Artifact } from "../contract/service-type.js";
import { dockerMessage, dockerStatus } from "./docker-client.js";

/** `name` without a tag or digest means `name:latest` (the engine would pull every tag). */
export function withDefaultTag(ref: string): string {
  const lastPart = ref.slice(ref.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? ref : `${ref}:latest`;
}

/** True when the engine has the image locally. */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if (dockerStatus(err) === 404) return false;
    throw err;
  }
}

/** Pulls `ref`; rejects with a message naming the image when the pull fails. */
export async function pullImage(docker: Docker, ref: string, signal: AbortSignal): Promise<void> {
  const full = withDefaultTag(ref);
  try {
    const stream = await docker.pull(full, { abortSignal: signal });
    await new Promise<void>((resolve, reject) => {
      // Errors of a pull arrive as progress messages; followProgress turns them into err.
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
    });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    throw new Error(`image "${ref}" is not present locally and could not be pulled: ${dockerMessage(err)}`);
  }
  if (!(await imageExists(docker, full))) {
    throw new Error(`image "${ref}" is not present locally and the pull did not produce it`);
  }
}

/** The artifact of one image: key `docker-image:<ref>`, cached when present, else pulled. */
export function imageArtifact(docker: Docker, ref: string): Artifact {
  return {
    key: `docker-image:${ref}`,
    description: `docker image ${ref}`,
    isCached: () => imageExists(docker, ref),
    async resolve(signal) {
      await pullImage(docker, ref, signal);
      return ref;
    },
  };
}
