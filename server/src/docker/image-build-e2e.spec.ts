/**
 * Images built from a Dockerfile through a real rigd and engine: five parallel
 * environments build once, the next rigd does not rebuild, an edited file does, and a
 * broken Dockerfile fails with the build's own error lines. Build output arrives as
 * artifact.progress events. The fixture context is copied per run (a nonce in it makes
 * the first build real); the images are removed at the end.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Event } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import type { Rigd } from "../testing/rigd-harness.js";
import { createDockerClient, engineReachable } from "./docker-client.js";
import { BUILD_REPOSITORY } from "./image-build.js";
import { dockerResourcesOf, failingEnvironment, serviceEndpoint, startDockerRigd, upEnvironment } from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const docker = createDockerClient();
const NAME = `spec-${process.pid}`;

function webSpec(context: string, args: Record<string, string> = {}): Parameters<typeof upEnvironment>[1] {
  return {
    name: "built",
    services: [
      {
        name: "web",
        ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
        config: { case: "container", value: { build: { context, args, name: NAME } } },
      },
    ],
  };
}

function progressLines(events: readonly Event[]): string[] {
  return events.flatMap((e) => (e.payload.case === "artifactProgress" ? [e.payload.value.line] : []));
}

async function served(rigd: Rigd, id: string, path: string): Promise<string> {
  const web = await serviceEndpoint(rigd, id, "web");
  return (await (await fetch(`http://${web.host}:${web.port}${path}`)).text()).trim();
}

async function builtImages(): Promise<string[]> {
  const images = await docker.listImages({ filters: { reference: [`${BUILD_REPOSITORY}/${NAME}`] } });
  return images.flatMap((i) => i.RepoTags ?? []).sort();
}

describe("images built from a Dockerfile (real rigd, real engine)", { concurrency: false }, () => {
  let context: string;
  const pids: number[] = [];
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
    context = mkdtempSync(join(tmpdir(), "rig-build-"));
    writeFileSync(
      join(context, "Dockerfile"),
      [
        `FROM ${testImages.busybox}`,
        "ARG GREETING=hello",
        "COPY index.html nonce.txt /www/",
        'RUN echo "$GREETING" > /www/greeting.txt',
        'CMD ["httpd", "-f", "-p", "80", "-h", "/www"]',
      ].join("\n"),
    );
    writeFileSync(join(context, "index.html"), "first\n");
    writeFileSync(join(context, "nonce.txt"), `${Date.now()}-${Math.random()}\n`);
    writeFileSync(join(context, "ignored.log"), "not sent\n");
    writeFileSync(join(context, ".dockerignore"), "*.log\n");
  });
  after(async () => {
    for (const tag of await builtImages()) await docker.getImage(tag).remove({ force: true });
    rmSync(context, { recursive: true, force: true });
    for (const pid of pids) assert.deepEqual(await dockerResourcesOf(docker, pid), []);
  });

  it("five parallel environments build once; the next rigd does not rebuild; an edit does", async () => {
    const rigd = await startDockerRigd();
    pids.push(rigd.child.pid as number);
    try {
      const envs = await Promise.all(Array.from({ length: 5 }, () => upEnvironment(rigd, webSpec(context, { GREETING: "hi" }))));
      const completed = envs.flatMap((e) => e.events.filter((ev) => ev.payload.case === "artifactCompleted"));
      assert.equal(completed.length, 1, "one environment resolved the build, the others shared it");
      assert.ok(progressLines(envs[0]!.events).some((l) => /Step \d+\/\d+ : RUN/.test(l)), "build output arrives as artifact.progress");
      const tags = await builtImages();
      assert.equal(tags.length, 1, `one image: ${tags.join(", ")}`);
      assert.match(tags[0]!, new RegExp(`^${BUILD_REPOSITORY}/${NAME}:[0-9a-f]{16}$`));
      for (const env of envs) assert.equal(await served(rigd, env.id, "/greeting.txt"), "hi", "build args reach the build");
      assert.equal(await served(rigd, envs[0]!.id, "/index.html"), "first");
      await Promise.all(envs.map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
    } finally {
      await rigd.stop();
    }

    const next = await startDockerRigd();
    pids.push(next.child.pid as number);
    try {
      const again = await upEnvironment(next, webSpec(context, { GREETING: "hi" }));
      const lines = progressLines(again.events);
      assert.ok(lines.some((l) => l.endsWith("is present: not rebuilt")), lines.join("\n"));
      assert.ok(!lines.some((l) => l.startsWith("Step ")), "no build step ran");
      await next.client.destroyEnvironment({ environmentId: again.id });

      writeFileSync(join(context, "ignored.log"), "changed, but ignored\n");
      writeFileSync(join(context, "index.html"), "second\n");
      const edited = await upEnvironment(next, webSpec(context, { GREETING: "hi" }));
      assert.ok(progressLines(edited.events).some((l) => l.startsWith("Step ")), "an edited file is rebuilt");
      assert.equal(await served(next, edited.id, "/index.html"), "second");
      assert.equal((await builtImages()).length, 2, "the earlier image is kept");
      await next.client.destroyEnvironment({ environmentId: edited.id });
    } finally {
      await next.stop();
    }
  });

  it("a broken Dockerfile fails the environment with the build's error lines", async () => {
    const broken = mkdtempSync(join(tmpdir(), "rig-build-broken-"));
    const rigd = await startDockerRigd();
    pids.push(rigd.child.pid as number);
    try {
      writeFileSync(join(broken, "Dockerfile"), `FROM ${testImages.busybox}\nRUN echo about to fail && exit 7\n`);
      const { events } = await failingEnvironment(rigd, webSpec(broken));
      const failed = events.find((e) => e.payload.case === "artifactFailed");
      assert.ok(failed?.payload.case === "artifactFailed");
      assert.match(failed.payload.value.error, /docker build of .*rig-build-broken-.* failed: .*non-zero code: 7/);
      assert.match(failed.payload.value.error, /about to fail/, "the build's output is quoted");
      const down = events.at(-1);
      assert.ok(down?.payload.case === "environmentDown" && /non-zero code: 7/.test(down.payload.value.summary));

      rmSync(join(broken, "Dockerfile"));
      const missing = await failingEnvironment(rigd, webSpec(broken));
      const why = missing.events.find((e) => e.payload.case === "artifactFailed");
      assert.ok(why?.payload.case === "artifactFailed");
      assert.match(why.payload.value.error, /has no Dockerfile/);
    } finally {
      await rigd.stop();
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
