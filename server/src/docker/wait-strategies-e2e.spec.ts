/**
 * Readiness waits (Readiness.waits) through a real rigd: for processes (log line, host
 * command, HTTP status and body) and containers (command inside, the image's
 * HEALTHCHECK, all-of), each passing and each timing out with a message that says what
 * it waited for. Bad waits are refused at validation.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Protocol, ReadinessKind, type ServiceSchema, type WaitSchema } from "../gen/rig/v1/spec_pb.js";
import { spec, type Rigd } from "../testing/rigd-harness.js";
import { createDockerClient, engineReachable } from "./docker-client.js";
import { BUILD_REPOSITORY } from "./image-build.js";
import { dockerResourcesOf, failingEnvironment, startDockerRigd, upEnvironment } from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const docker = createDockerClient();
type WaitInit = MessageInitShape<typeof WaitSchema>;
type ServiceInit = MessageInitShape<typeof ServiceSchema>;
const TIMEOUT_MS = 1_500;

const log = (pattern: string, times = 0): WaitInit => ({ condition: { case: "log", value: { pattern, times } } });
const command = (cmd: string[], onHost = false): WaitInit => ({ condition: { case: "command", value: { command: cmd, onHost } } });
const httpWait = (path: string, status: number, bodyPattern = ""): WaitInit => ({ condition: { case: "http", value: { path, status, bodyPattern } } });
const healthcheck: WaitInit = { condition: { case: "healthcheck", value: {} } };

/** One ingress whose readiness is only `waits` (kind NONE), or the protocol check too. */
function ingress(waits: WaitInit[], kind = ReadinessKind.NONE, containerPort = 0): ServiceInit["ingresses"] {
  return [{ name: "default", protocol: Protocol.HTTP, containerPort, ready: { kind, waits, timeout: durationFromMs(TIMEOUT_MS) } }];
}

/** A node process running `script`. */
function node(script: string, waits: WaitInit[], kind = ReadinessKind.NONE): ServiceInit {
  return { name: "svc", ingresses: ingress(waits, kind), config: { case: "process", value: { command: process.execPath, args: ["-e", script] } } };
}

/** A container from `image` running `sh -c cmd`. */
function box(cmd: string, waits: WaitInit[], image = testImages.busybox): ServiceInit {
  return { name: "svc", ingresses: ingress(waits, ReadinessKind.NONE, 80), config: { case: "container", value: { image, cmd: ["sh", "-c", cmd] } } };
}

/** Prints `ready` twice, 300 ms apart, then idles. */
const TWICE_READY = "console.log('ready'); setTimeout(() => console.log('ready'), 300); setInterval(() => {}, 1000);";
/** Creates $RIG_TEMP_DIR/flag after 300 ms. */
const FLAG_LATER = "setTimeout(() => require('fs').writeFileSync(process.env.RIG_TEMP_DIR + '/flag', ''), 300); setInterval(() => {}, 1000);";
/** /health answers 503 for 300 ms, then 200 `status: ok`. */
const HEALTH_LATER =
  "const t0 = Date.now(); require('http').createServer((q, s) => { const ok = Date.now() - t0 > 300; s.writeHead(ok ? 200 : 503); s.end(ok ? 'status: ok' : 'warming'); }).listen(process.env.PORT, '127.0.0.1');";

async function expectUp(rigd: Rigd, service: ServiceInit): Promise<void> {
  const env = await upEnvironment(rigd, { name: "wait", services: [service] });
  await rigd.client.destroyEnvironment({ environmentId: env.id });
}

async function expectTimeout(rigd: Rigd, service: ServiceInit, says: RegExp): Promise<void> {
  const { events } = await failingEnvironment(rigd, { name: "wait", services: [service] });
  const down = events.at(-1);
  assert.ok(down?.payload.case === "environmentDown", "the environment went down");
  assert.match(down.payload.value.summary, /not ready after/);
  assert.match(down.payload.value.summary, says);
}

describe("readiness waits (real rigd)", { concurrency: false }, () => {
  let rigd: Rigd;
  let context: string;
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
    rigd = await startDockerRigd();
    context = mkdtempSync(join(tmpdir(), "rig-healthcheck-"));
  });
  after(async () => {
    await rigd?.stop();
    rmSync(context, { recursive: true, force: true });
    const images = await docker.listImages({ filters: { reference: [`${BUILD_REPOSITORY}/healthcheck-${process.pid}`] } });
    for (const image of images) await docker.getImage(image.Id).remove({ force: true });
    assert.deepEqual(await dockerResourcesOf(docker, rigd.child.pid as number), []);
  });

  it("process, log line: the n-th matching line passes; fewer time out naming the pattern", async () => {
    await expectUp(rigd, node(TWICE_READY, [log("^ready$", 2)]));
    await expectTimeout(rigd, node(TWICE_READY, [log("^ready$", 3)]), /waiting for a log line matching \/\^ready\$\/ \(3rd time\) \(seen 2 of 3\)/);
  });

  it("process, host command: passes once it exits 0, with the service's wiring; times out naming the command", async () => {
    await expectUp(rigd, node(FLAG_LATER, [command(["sh", "-c", 'test -f "$RIG_TEMP_DIR/flag"'])]));
    await expectTimeout(rigd, node("setInterval(() => {}, 1000)", [command(["sh", "-c", 'test -f "$RIG_TEMP_DIR/flag"'])]), /waiting for `sh -c test -f "\$RIG_TEMP_DIR\/flag"` to exit 0 \(exited with 1\)/);
  });

  it("process, HTTP status and body: passes on 200 with the body; a body that never comes times out saying what came", async () => {
    await expectUp(rigd, node(HEALTH_LATER, [httpWait("/health", 200, "status: ok")]));
    await expectTimeout(rigd, node(HEALTH_LATER, [httpWait("/health", 200, "never")]), /waiting for GET \/health to answer 200 with a body matching \/never\/ \(got 200, body "status: ok"\)/);
  });

  it("container, command inside: passes once it exits 0; times out naming the command", async () => {
    await expectUp(rigd, box("sleep 0.3; touch /tmp/ready; exec sleep 600", [command(["test", "-f", "/tmp/ready"])]));
    await expectTimeout(rigd, box("exec sleep 600", [command(["test", "-f", "/tmp/ready"])]), /waiting for `test -f \/tmp\/ready` to exit 0 \(exited with 1\)/);
  });

  it("container, the image's HEALTHCHECK: healthy passes; unhealthy or none times out saying so", async () => {
    writeFileSync(join(context, "Dockerfile"), `FROM ${testImages.busybox}\nHEALTHCHECK --interval=100ms --timeout=1s --retries=1 CMD test -f /tmp/healthy\n`);
    const built = (cmd: string): ServiceInit => ({
      name: "svc",
      ingresses: ingress([healthcheck], ReadinessKind.NONE, 80),
      config: { case: "container", value: { build: { context, name: `healthcheck-${process.pid}` }, cmd: ["sh", "-c", cmd] } },
    });
    await expectUp(rigd, built("touch /tmp/healthy; exec sleep 600"));
    await expectTimeout(rigd, built("exec sleep 600"), /waiting for the image's HEALTHCHECK to report healthy \((unhealthy|starting)/);
    await expectTimeout(rigd, box("exec sleep 600", [healthcheck]), /image rig-test\/busybox:1 has no HEALTHCHECK/);
  });

  it("all of: every wait must pass; the timeout names the one still unmet", async () => {
    const cmd = "echo booting; sleep 0.2; touch /tmp/ready; echo started; exec sleep 600";
    await expectUp(rigd, box(cmd, [log("started"), command(["test", "-f", "/tmp/ready"])]));
    await expectTimeout(rigd, box(cmd, [log("started"), command(["test", "-f", "/tmp/other"])]), /waiting for `test -f \/tmp\/other` to exit 0/);
  });

  it("refuses bad waits at validation: a broken regex, an empty command, a HEALTHCHECK wait on a process", async () => {
    const err = await rigd.client
      .createEnvironment({
        spec: spec({
          name: "bad",
          services: [
            node("", [log("(unclosed"), command([])]),
            { ...node("", [healthcheck]), name: "other" },
          ],
        }),
      })
      .then(
        () => assert.fail("expected INVALID_ARGUMENT"),
        (e: unknown) => ConnectError.from(e),
      );
    assert.equal(err.code, Code.InvalidArgument);
    assert.match(err.message, /ready\.waits\[0\]\.log\.pattern: "\(unclosed" is not a valid regular expression/);
    assert.match(err.message, /ready\.waits\[1\]\.command\.command: a command wait needs a command/);
    assert.match(err.message, /ready\.waits\[0\]\.healthcheck: process services have no image HEALTHCHECK/);
  });
});
