/**
 * Containers through the TS SDK against a real rigd and Docker: an image built from a
 * Dockerfile, a log wait, then exec, copy in and out, logs, stop and restart on the
 * environment handle. Skipped when Docker or the busybox test image is not there.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { rig } from "../index.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

const busybox = process.env.RIG_TEST_BUSYBOX_IMAGE ?? "rig-test/busybox:1";
const buildName = `sdk-ts-${process.pid}`;

function missing(): string | false {
  try {
    execFileSync("docker", ["image", "inspect", busybox], { stdio: "ignore" });
    return false;
  } catch {
    return `needs Docker and ${busybox} (scripts/build-test-images.sh)`;
  }
}

let rigDir: IsolatedRigDir;
let scratch: string;
before(async () => {
  rigDir = await isolatedRigDir();
  scratch = mkdtempSync(join(tmpdir(), "rig-ts-ops-"));
});
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  if (!missing()) execFileSync("sh", ["-c", `docker images -q rig-build/${buildName} | xargs -r docker rmi -f`], { stdio: "ignore" });
  return rigDir.dispose();
});

test("a built container: exec, copy in and out, logs, stop and restart", { skip: missing() }, async (t) => {
  writeFileSync(join(scratch, "Dockerfile"), `FROM ${busybox}\nRUN mkdir -p /www && echo built > /www/index.html\n`);
  const env = await rig.up(t, {
    web: rig
      .container(rig.build(scratch, { name: buildName }))
      .args("sh", "-c", "echo listening soon; exec httpd -f -p 80 -h /www")
      .ingress({ containerPort: 80, ready: rig.wait.allOf(rig.wait.log(/listening/), rig.wait.http("/", { body: "built" })) }),
  });
  assert.equal((await (await fetch(env.url("web"))).text()).trim(), "built");

  const ran = await env.exec("web", ["sh", "-c", "cat; echo oops >&2; exit 4"], { stdin: "in" });
  assert.deepEqual(ran, { exitCode: 4, stdout: "in", stderr: "oops\n" });

  await env.copyTo("web", { content: "copied" }, "/www/copied.txt");
  assert.equal(await (await fetch(`${env.url("web")}/copied.txt`)).text(), "copied");
  await env.copyFrom("web", "/www/index.html", join(scratch, "index.html"));
  assert.equal(readFileSync(join(scratch, "index.html"), "utf8"), "built\n");

  assert.deepEqual(await env.logs("web", { tail: 1 }), [{ stream: "stdout", line: "listening soon" }]);

  await env.stop("web");
  // The test reaches web through its recording proxy, which answers for a target that is gone.
  assert.equal((await fetch(env.url("web"))).status, 502);
  const endpoints = await env.restart("web");
  assert.equal(endpoints["default"]?.host, "127.0.0.1", "the service's own endpoint (the test's goes through its proxy)");
  assert.equal((await (await fetch(env.url("web"))).text()).trim(), "built");
});
