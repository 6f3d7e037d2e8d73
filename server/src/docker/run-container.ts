/**
 * Creates, starts, watches, stops and removes one container. The container type and the
 * pooled backends share this; it knows nothing of environments or services.
 */
import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { splitLines } from "../io/line-splitter.js";
import { dockerMessage, dockerStatus } from "./docker-client.js";

/** After the container exits, how long to wait for its output stream to drain. */
const DRAIN_MS = 250;

/** What to run. Ports are published on 127.0.0.1 only. */
export interface ContainerSpec {
  readonly name: string;
  readonly image: string;
  readonly cmd?: readonly string[];
  readonly entrypoint?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  /** `hostPort` 0: the engine picks a free one (read it back with hostPort()). */
  readonly ports: readonly { readonly containerPort: number; readonly hostPort: number }[];
  readonly extraHosts?: readonly string[];
  /** `host:container[:mode]` bind mounts. */
  readonly binds?: readonly string[];
  /** tmpfs mounts, path -> options. */
  readonly tmpfs?: Readonly<Record<string, string>>;
  /** Run the engine's init (tini) as PID 1: signals reach the program, zombies are reaped. */
  readonly init?: boolean;
  /** A user-defined network to join instead of the default bridge, under these DNS aliases. */
  readonly network?: { readonly name: string; readonly aliases: readonly string[] };
  /** Stop timeout the engine applies to `docker stop` without one, seconds. */
  readonly stopTimeoutSec?: number;
}

/** How a container ended. */
export interface ContainerExit {
  /** Exit code; null when unknown (e.g. removed behind our back). */
  readonly code: number | null;
  readonly error?: string;
}

/** A started container. */
export interface StartedContainer {
  readonly id: string;
  readonly name: string;
  /** Resolves when the container stops, for any reason. Never rejects. */
  readonly exited: Promise<ContainerExit>;
  /** The host port a container port is published on. */
  hostPort(containerPort: number): number;
  /** Stops (SIGTERM, then SIGKILL after `timeoutSec`) and removes the container. Idempotent. */
  stop(timeoutSec: number): Promise<ContainerExit>;
  /** Stops like stop() but keeps the container (for inspection). Idempotent. */
  halt(timeoutSec: number): Promise<ContainerExit>;
  /** Removes the container by force (no grace). Idempotent; ignores a container already gone. */
  remove(): Promise<void>;
}

/** Options of startContainer. */
export interface StartContainerOptions {
  /** Receives the container's output line by line (attached before start: nothing is lost). */
  onLine?(stream: "stdout" | "stderr", line: string): void;
  readonly signal?: AbortSignal;
}

/** Thrown when the image is not present locally (the artifact phase should have pulled it). */
export class ImageMissingError extends Error {
  constructor(readonly image: string) {
    super(`image "${image}" is not present locally (and was not pulled)`);
    this.name = "ImageMissingError";
  }
}

async function removeQuietly(container: Docker.Container): Promise<void> {
  try {
    await container.remove({ force: true, v: true });
  } catch (err) {
    // 404: already gone; 409: removal already in progress.
    if (dockerStatus(err) !== 404 && dockerStatus(err) !== 409) throw err;
  }
}

function attachOutput(
  docker: Docker,
  stream: NodeJS.ReadWriteStream,
  onLine: (stream: "stdout" | "stderr", line: string) => void,
): Promise<void> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  splitLines(stdout, (line) => onLine("stdout", line));
  splitLines(stderr, (line) => onLine("stderr", line));
  docker.modem.demuxStream(stream, stdout, stderr);
  return new Promise((resolve) => {
    const done = (): void => {
      stdout.end();
      stderr.end();
      resolve();
    };
    stream.once("end", done);
    stream.once("close", done);
    stream.once("error", done);
  });
}

/** Creates and starts the container; on any failure the container is removed again. */
export async function startContainer(
  docker: Docker,
  spec: ContainerSpec,
  options: StartContainerOptions = {},
): Promise<StartedContainer> {
  options.signal?.throwIfAborted();
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.ports) {
    exposed[`${p.containerPort}/tcp`] = {};
    bindings[`${p.containerPort}/tcp`] = [{ HostIp: "127.0.0.1", HostPort: p.hostPort ? String(p.hostPort) : "" }];
  }
  let container: Docker.Container;
  try {
    container = await docker.createContainer({
      name: spec.name,
      Image: spec.image,
      ...(spec.cmd && spec.cmd.length > 0 ? { Cmd: [...spec.cmd] } : {}),
      ...(spec.entrypoint && spec.entrypoint.length > 0 ? { Entrypoint: [...spec.entrypoint] } : {}),
      Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
      Labels: { ...spec.labels },
      ExposedPorts: exposed,
      ...(spec.stopTimeoutSec !== undefined ? { StopTimeout: spec.stopTimeoutSec } : {}),
      HostConfig: {
        PortBindings: bindings,
        ...(spec.init ? { Init: true } : {}),
        ExtraHosts: [...(spec.extraHosts ?? [])],
        Binds: [...(spec.binds ?? [])],
        ...(spec.tmpfs ? { Tmpfs: { ...spec.tmpfs } } : {}),
        ...(spec.network ? { NetworkMode: spec.network.name } : {}),
      },
      ...(spec.network ? { NetworkingConfig: { EndpointsConfig: { [spec.network.name]: { Aliases: [...spec.network.aliases] } } } } : {}),
    });
  } catch (err) {
    if (dockerStatus(err) === 404) throw new ImageMissingError(spec.image);
    throw new Error(`cannot create container ${spec.name} from image "${spec.image}": ${dockerMessage(err)}`);
  }

  try {
    const drained = options.onLine
      ? attachOutput(docker, await container.attach({ stream: true, stdout: true, stderr: true }), options.onLine)
      : Promise.resolve();
    options.signal?.throwIfAborted();
    try {
      await container.start();
    } catch (err) {
      throw new Error(`cannot start container ${spec.name} (image "${spec.image}"): ${dockerMessage(err)}`);
    }
    const exited = watchExit(container, drained);
    const info = spec.ports.some((p) => p.hostPort === 0) ? await container.inspect() : undefined;
    const published = new Map<number, number>();
    for (const p of spec.ports) {
      const hostPort = p.hostPort || Number(info?.NetworkSettings.Ports[`${p.containerPort}/tcp`]?.[0]?.HostPort);
      if (!hostPort) throw new Error(`container ${spec.name}: port ${p.containerPort} was not published`);
      published.set(p.containerPort, hostPort);
    }
    return handleOf(container, spec.name, exited, published);
  } catch (err) {
    await removeQuietly(container).catch(() => {});
    throw err;
  }
}

function watchExit(container: Docker.Container, drained: Promise<void>): Promise<ContainerExit> {
  const waited: Promise<ContainerExit> = container.wait().then(
    (result: { StatusCode?: number; Error?: { Message?: string } | null }) => ({
      code: typeof result.StatusCode === "number" ? result.StatusCode : null,
      ...(result.Error?.Message ? { error: result.Error.Message } : {}),
    }),
    (err: unknown) => ({ code: null, error: `lost track of the container: ${dockerMessage(err)}` }),
  );
  // Let the output drain so the last stderr lines reach failure summaries, but not for long.
  return waited.then(async (exit) => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([drained, new Promise<void>((r) => (timer = setTimeout(r, DRAIN_MS)))]);
    clearTimeout(timer);
    return exit;
  });
}

/** The StartedContainer of a container that runs, with its published ports and its exit watch. */
function handleOf(container: Docker.Container, name: string, exited: Promise<ContainerExit>, published: ReadonlyMap<number, number>): StartedContainer {
  let halting: Promise<ContainerExit> | undefined;
  let stopping: Promise<ContainerExit> | undefined;
  const halt = (timeoutSec: number): Promise<ContainerExit> =>
    (halting ??= (async () => {
      try {
        await container.stop({ t: Math.max(0, Math.ceil(timeoutSec)) });
      } catch (err) {
        // 304: already stopped; 404: already gone.
        if (dockerStatus(err) !== 304 && dockerStatus(err) !== 404) throw err;
      }
      return exited;
    })());
  return {
    id: container.id,
    name,
    exited,
    hostPort(containerPort) {
      const port = published.get(containerPort);
      if (port === undefined) throw new Error(`container ${name} does not publish port ${containerPort}`);
      return port;
    },
    stop(timeoutSec) {
      stopping ??= (async () => {
        const exit = await halt(timeoutSec);
        await removeQuietly(container);
        return exit;
      })();
      return stopping;
    },
    halt,
    remove: () => removeQuietly(container),
  };
}

/**
 * Takes over the running container `name` (reuse across rigds): its published ports and
 * its exit watched. Undefined when there is none; a stopped one is removed first.
 */
export async function adoptContainer(docker: Docker, name: string): Promise<StartedContainer | undefined> {
  const container = docker.getContainer(name);
  let info: Docker.ContainerInspectInfo;
  try {
    info = await container.inspect();
  } catch (err) {
    if (dockerStatus(err) === 404) return undefined;
    throw err;
  }
  if (!info.State.Running) {
    await removeQuietly(container);
    return undefined;
  }
  const published = new Map<number, number>();
  for (const [port, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
    const hostPort = Number(bindings?.[0]?.HostPort);
    if (hostPort) published.set(Number(port.split("/")[0]), hostPort);
  }
  const running = docker.getContainer(info.Id);
  return handleOf(running, name, watchExit(running, Promise.resolve()), published);
}
