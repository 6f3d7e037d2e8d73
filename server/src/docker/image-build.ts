/**
 * Images built from a Dockerfile as artifacts (`rig.container(rig.build("./images/api"))`).
 *
 * The artifact key carries the context's stat fingerprint (see build-context.ts): equal
 * keys share one resolution across concurrent environments, and an edited file makes a
 * new key. Resolving hashes the contents and names the image `rig-build/<name>:<hash>`;
 * when the engine has that tag already (an earlier run, another rigd) nothing is built.
 * Images are kept between runs like any local image. Build output goes out as progress
 * lines, and its tail is quoted when the build fails.
 */
import type Docker from "dockerode";
import { basename, resolve as resolvePath } from "node:path";
import type { Artifact } from "../contract/service-type.js";
import { contentHash, listBuildContext, type BuildContext, type BuildInputs } from "./build-context.js";
import { dockerMessage, explainConnectError } from "./docker-client.js";
import { imageExists } from "./image-artifact.js";

/** Prefix of build artifact keys; the resolved value is the image tag. */
export const BUILD_ARTIFACT_PREFIX = "docker-build:";
/** Repository of built images: `rig-build/<name>`. */
export const BUILD_REPOSITORY = "rig-build";
/** Lines of build output quoted in a failure. */
const TAIL_LINES = 30;

/** What to build (ImageBuild of the spec, defaults not yet applied). */
export interface BuildRequest {
  readonly context: string;
  readonly dockerfile: string;
  readonly args: Readonly<Record<string, string>>;
  readonly target: string;
  readonly name: string;
}

/** One message of the engine's build stream. */
interface BuildMessage {
  readonly stream?: string;
  readonly status?: string;
  readonly error?: string;
  readonly errorDetail?: { readonly message?: string };
}

/** `name` as a Docker repository path component: lower case, [a-z0-9] separated by `.`, `_` or `-`. */
export function repositoryName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|[._-]+$/g, "")
    .replace(/[._-]{2,}/g, "-");
  return cleaned || "image";
}

/** The artifact that builds `request` (relative contexts resolve against `dir`). Never throws. */
export function buildArtifact(docker: Docker, request: BuildRequest, dir: string): Artifact {
  const root = resolvePath(dir, request.context);
  const inputs: BuildInputs = { dockerfile: request.dockerfile || "Dockerfile", args: { ...request.args }, target: request.target };
  const name = repositoryName(request.name || basename(root));
  const description = `docker build of ${root}${inputs.target ? ` (target ${inputs.target})` : ""}`;
  let context: BuildContext;
  try {
    context = listBuildContext(root, inputs);
  } catch (err) {
    // The artifact phase reports it like any other artifact failure.
    const message = err instanceof Error ? err.message : String(err);
    return { key: `${BUILD_ARTIFACT_PREFIX}${root}`, description, resolve: () => Promise.reject(new Error(message)) };
  }
  return {
    key: `${BUILD_ARTIFACT_PREFIX}${root}@${context.fingerprint}`,
    description,
    async resolve(signal, progress) {
      const tag = `${BUILD_REPOSITORY}/${name}:${await contentHash(context, inputs)}`;
      if (await imageExists(docker, tag)) {
        progress?.(`${tag} is present: not rebuilt`);
        return tag;
      }
      await buildImage(docker, context, inputs, tag, signal, progress);
      return tag;
    },
  };
}

/** Runs the engine's build; rejects with the error and the output's tail. */
async function buildImage(
  docker: Docker,
  context: BuildContext,
  inputs: BuildInputs,
  tag: string,
  signal: AbortSignal,
  progress?: (line: string) => void,
): Promise<void> {
  const tail: string[] = [];
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
    progress?.(line);
  };
  const failure = (why: string): Error => new Error(`docker build of ${context.root} failed: ${why}${tail.length > 0 ? `\n${tail.join("\n")}` : ""}`);
  let stream: NodeJS.ReadableStream;
  try {
    stream = await docker.buildImage(
      { context: context.root, src: [...context.files] },
      {
        t: tag,
        dockerfile: inputs.dockerfile,
        buildargs: { ...inputs.args },
        ...(inputs.target ? { target: inputs.target } : {}),
        labels: { "rig.build": tag },
        rm: true,
        forcerm: true,
        abortSignal: signal,
      },
    );
  } catch (err) {
    throw failure(dockerMessage(explainConnectError(docker, err)));
  }
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      // A failed step arrives as a message with `error`, not as `err`.
      (err: Error | null, output: readonly BuildMessage[] = []) => {
        const failed = output.findLast((m) => m.error);
        const why = failed ? (failed.errorDetail?.message ?? failed.error) : err ? dockerMessage(err) : undefined;
        if (why) reject(failure(why));
        else resolve();
      },
      (message: BuildMessage) => {
        for (const line of (message.stream ?? message.status ?? "").split("\n")) if (line.trim() !== "") onLine(line.trimEnd());
      },
    );
  });
  if (signal.aborted) throw signal.reason;
  if (!(await imageExists(docker, tag))) throw failure("the build finished without producing the image");
}

/** The tag a service's build artifact produced (its resolved artifacts). */
export function builtImage(artifacts: ReadonlyMap<string, unknown>): string {
  for (const [key, value] of artifacts) if (key.startsWith(BUILD_ARTIFACT_PREFIX) && typeof value === "string") return value;
  throw new Error("the image build produced no image");
}
