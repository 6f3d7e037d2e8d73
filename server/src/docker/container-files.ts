/**
 * Files into and out of a running container (like `docker cp`), through the engine's
 * archive API. The path given is the path the file or directory itself gets: copying
 * `./fixtures` to `/data/in` makes `/data/in` that directory, parents created. Files
 * copied out belong to rigd's user, not to the container's uids.
 */
import type Docker from "dockerode";
import { inRigdBundle } from "../os/rigd-bundle.js";
import { lstat, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, posix } from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CopySource } from "../contract/service-type.js";
import { dockerMessage, dockerStatus } from "./docker-client.js";

interface TarHeader {
  name: string;
}
interface TarFs {
  pack(dir: string, options?: { entries?: string[]; map?: (header: TarHeader) => TarHeader }): Readable;
  extract(dir: string, options?: { map?: (header: TarHeader) => TarHeader; chown?: boolean }): NodeJS.WritableStream;
}
interface TarPack extends Readable {
  entry(header: { name: string; mode: number; size: number }, body: Buffer): void;
  finalize(): void;
}
interface TarStream {
  pack(): TarPack;
}
// CommonJS packages without typings (dockerode itself packs with them); see os/rigd-bundle.ts.
// Required at the first copy, not at rigd's start (require caches them).
const tarFs = (): TarFs => (inRigdBundle ? require("tar-fs") : createRequire(import.meta.url)("tar-fs")) as TarFs;
const tarStream = (): TarStream => (inRigdBundle ? require("tar-stream") : createRequire(import.meta.url)("tar-stream")) as TarStream;

/** `/a/b` -> `a/b`: archive entry names are relative to `/`, where the archive is extracted. */
function entryName(path: string): string {
  return posix.normalize(path).replace(/^\/+/, "");
}

/** Puts a host file or directory, or `content`, at absolute `path` in `container`. */
export async function copyIntoContainer(docker: Docker, container: string, path: string, source: CopySource): Promise<void> {
  const name = entryName(path);
  if (!name) throw new Error("cannot copy onto / itself: name a path below it");
  let archive: Readable;
  if ("content" in source) {
    const pack = tarStream().pack();
    pack.entry({ name, mode: source.mode, size: source.content.byteLength }, Buffer.from(source.content));
    pack.finalize();
    archive = pack;
  } else {
    const stats = await lstat(source.hostPath).catch(() => undefined);
    if (!stats) throw new Error(`cannot copy ${source.hostPath} into ${container}: it does not exist on rigd's host`);
    archive = stats.isDirectory()
      ? tarFs().pack(source.hostPath, { map: (h) => ({ ...h, name: posix.join(name, h.name) }) })
      : tarFs().pack(dirname(source.hostPath), { entries: [basename(source.hostPath)], map: (h) => ({ ...h, name }) });
  }
  try {
    await docker.getContainer(container).putArchive(archive, { path: "/" });
  } catch (err) {
    throw new Error(`cannot copy into ${container}:${path}: ${dockerMessage(err)}`);
  }
}

/** Copies the file or directory at absolute `path` in `container` to `hostPath` (replacing it). */
export async function copyOutOfContainer(docker: Docker, container: string, path: string, hostPath: string): Promise<void> {
  let archive: NodeJS.ReadableStream;
  try {
    archive = await docker.getContainer(container).getArchive({ path });
  } catch (err) {
    if (dockerStatus(err) === 404) throw new Error(`${container} has no ${path}`);
    throw new Error(`cannot copy ${container}:${path}: ${dockerMessage(err)}`);
  }
  // The archive's root entry is the file or directory under its own name: rename it.
  const root = basename(posix.normalize(path));
  const target = basename(hostPath);
  await rm(hostPath, { recursive: true, force: true });
  const rename = (header: TarHeader): TarHeader => {
    const rest = header.name.slice(root.length);
    return { ...header, name: `${target}${rest}` };
  };
  await pipeline(archive, tarFs().extract(dirname(hostPath), { map: rename, chown: false }));
}
