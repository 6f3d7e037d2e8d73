/**
 * Docker images as artifacts (SPEC §6): pulled only when absent locally, so locally
 * built images work offline. The generic resolver dedupes by key and emits events; this
 * file only knows how to check for and pull one image.
 */
import type Docker from "dockerode";
import type { Artifact } from "../contract/service-type.js";
import { assertImageReference } from "./image-reference.js";
import { PullProgress, type PullMessage } from "./pull-progress.js";
import { dockerMessage, dockerStatus, EngineUnreachableError, explainConnectError } from "./docker-client.js";

/** `name` without a tag or digest means `name:latest` (the engine would pull every tag). */
export function withDefaultTag(ref: string): string {
  const lastPart = ref.slice(ref.lastIndexOf("/") + 1);
  return lastPart.includes(":") || lastPart.includes("@") ? ref : `${ref}:latest`;
}

/** True when the engine has the image locally. */
export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  assertImageReference(ref);
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if (dockerStatus(err) === 404) return false;
    throw explainConnectError(docker, err);
  }
}

/** Edit distance, for "did you mean" (image names are short). */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Up to three local image names close to `ref` (same repository name first), for a hint. */
export async function similarLocalImages(docker: Docker, ref: string): Promise<string[]> {
  let tags: string[];
  try {
    tags = (await docker.listImages()).flatMap((image) => image.RepoTags ?? []).filter((t) => t !== "<none>:<none>");
  } catch {
    return [];
  }
  const wanted = withDefaultTag(ref);
  const base = (name: string): string => name.slice(name.lastIndexOf("/") + 1).split(/[:@]/)[0] ?? name;
  const scored = tags
    .map((tag) => ({ tag, score: distance(wanted, tag) - (base(tag) === base(wanted) ? 100 : 0) }))
    .filter(({ tag, score }) => score < 0 || score <= Math.max(3, Math.floor(wanted.length / 3)) || tag.includes(base(wanted)))
    .sort((a, b) => a.score - b.score);
  return scored.slice(0, 3).map((s) => s.tag);
}

/**
 * Pulls `ref`; rejects with a message naming the image when the pull fails. `progress`
 * gets a line each time a layer's status changes, and the bytes of the whole pull while
 * layers download (pull-progress.ts).
 */
export async function pullImage(docker: Docker, ref: string, signal: AbortSignal, progress?: (line: string) => void): Promise<void> {
  assertImageReference(ref);
  const full = withDefaultTag(ref);
  const lines = progress ? new PullProgress(full, progress) : undefined;
  const onProgress = (event: PullMessage): void => lines?.message(event);
  try {
    const stream = await docker.pull(full, { abortSignal: signal });
    await new Promise<void>((resolve, reject) => {
      // Errors of a pull arrive as progress messages; followProgress turns them into err.
      docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()), onProgress);
    });
    lines?.finish();
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const explained = explainConnectError(docker, err);
    if (explained instanceof EngineUnreachableError) throw explained;
    const similar = await similarLocalImages(docker, ref);
    const hint = similar.length > 0 ? `; local images with a similar name: ${similar.join(", ")}` : "";
    throw new Error(`image "${ref}" is not present locally and could not be pulled: ${dockerMessage(err)}${hint}`);
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
    async resolve(signal, progress) {
      await pullImage(docker, ref, signal, progress);
      return ref;
    },
  };
}
