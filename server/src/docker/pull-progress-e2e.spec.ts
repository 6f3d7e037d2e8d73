/**
 * Pulls report their bytes: an image pushed to a real registry (Docker's own, the
 * distribution project's `registry` built from the Go module proxy by
 * scripts/install-registry.sh, on loopback) and removed locally is pulled by a real rigd
 * for a container service; its artifact.progress events carry each layer's status and the
 * bytes of the whole pull, ending with every layer done. Skipped without the `registry`
 * binary unless RIG_REQUIRE_REGISTRY=1 (scripts/test.sh).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { findOnPath } from "../os/executables.js";
import type { Rigd } from "../testing/rigd-harness.js";
import { createDockerClient } from "./docker-client.js";
import { startDockerRigd, upEnvironment } from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const REGISTRY = findOnPath("registry");
if (!REGISTRY && process.env.RIG_REQUIRE_REGISTRY === "1") throw new Error("no `registry` on PATH: scripts/install-registry.sh builds it");
const docker = createDockerClient();

let dir: string;
let registry: ChildProcess | undefined;
let rigd: Rigd | undefined;
let image = "";

function docker_(...args: string[]): string {
  const r = spawnSync("docker", args, { encoding: "utf8" });
  assert.equal(r.status, 0, `docker ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

before(async () => {
  if (!REGISTRY) return;
  dir = mkdtempSync(join(tmpdir(), "rig-registry-"));
  const port = await freePort();
  writeFileSync(join(dir, "config.yml"), `version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  registry = spawn(REGISTRY, ["serve", join(dir, "config.yml")], { stdio: "ignore" });
  for (let i = 0; i < 100; i++) {
    if ((await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined))?.ok) break;
    await sleep(50);
  }
  // Two layers of their own (incompressible, a few MiB) on top of the busybox test image.
  image = `127.0.0.1:${port}/rig-pull-test:${process.pid}`;
  writeFileSync(join(dir, "Dockerfile"), `FROM ${testImages.busybox}\nRUN head -c 3000000 /dev/urandom > /a\nRUN head -c 2000000 /dev/urandom > /b\n`);
  docker_("build", "-q", "-t", image, dir);
  docker_("push", "-q", image);
  docker_("rmi", image);
  rigd = await startDockerRigd();
});

after(async () => {
  await rigd?.stop();
  if (image) spawnSync("docker", ["rmi", "-f", image]);
  registry?.kill("SIGTERM");
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("a pull reports each layer and the bytes of the whole pull as artifact.progress", { skip: !REGISTRY && "no registry binary" }, async () => {
  const { id, events } = await upEnvironment(rigd!, {
    name: "pulled",
    services: [{ name: "box", noIngress: true, config: { case: "container", value: { image, cmd: ["sleep", "300"] } } }],
  });
  const lines = events.flatMap((e) => (e.payload.case === "artifactProgress" ? [e.payload.value.line] : []));
  const bytes = lines.filter((l) => l.startsWith(`pulling ${image}: `));
  assert.ok(bytes.length >= 1, `byte lines among the progress: ${lines.join("\n")}`);
  const last = /: ([\d.]+) of ([\d.]+) MiB, (\d+) of (\d+) layers done$/.exec(bytes.at(-1)!);
  assert.ok(last, bytes.at(-1));
  assert.equal(last[1], last[2], "the last line counts every byte");
  assert.equal(last[3], last[4], "and every layer done");
  assert.ok(Number(last[2]) >= 4.5, `about 5 MiB pulled (${last[2]})`);
  assert.ok(lines.some((l) => /: Pull complete$/.test(l)), lines.join("\n"));
  await rigd!.client.destroyEnvironment({ environmentId: id });
  assert.ok((await docker.listImages({ filters: { reference: [image] } })).length === 1, "the pulled image is local now");
});
