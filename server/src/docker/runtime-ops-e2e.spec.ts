/**
 * Runtime operations on a running environment through a real rigd's API: exec (stdout,
 * stderr, exit code, stdin), copying content, files and directories in and out, a
 * service's logs, stop and restart with their events (the environment stays up), and
 * clear errors for services that cannot take them.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { EnvironmentState } from "../gen/rig/v1/environment_service_pb.js";
import { LogStream } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import { collectEvents, type Rigd } from "../testing/rigd-harness.js";
import { createDockerClient, engineReachable } from "./docker-client.js";
import { dockerResourcesOf, serviceEndpoint, startDockerRigd, upEnvironment } from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const docker = createDockerClient();
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

async function failure(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => assert.fail("expected the call to fail"),
    (err: unknown) => ConnectError.from(err),
  );
}

describe("runtime operations (real rigd, real engine)", { concurrency: false }, () => {
  let rigd: Rigd;
  let id: string;
  let scratch: string;
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
    rigd = await startDockerRigd();
    scratch = mkdtempSync(join(tmpdir(), "rig-runtime-ops-"));
    const env = await upEnvironment(rigd, {
      name: "ops",
      services: [
        {
          name: "web",
          ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
          config: {
            case: "container",
            value: { image: testImages.busybox, cmd: ["sh", "-c", "echo booted; mkdir -p /www && echo hi > /www/index.html && exec httpd -f -p 80 -h /www"] },
          },
        },
        { name: "host", noIngress: true, config: { case: "process", value: { command: "sleep", args: ["600"] } } },
      ],
    });
    id = env.id;
  });
  after(async () => {
    await rigd?.stop();
    rmSync(scratch, { recursive: true, force: true });
    assert.deepEqual(await dockerResourcesOf(docker, rigd.child.pid as number), []);
  });

  it("exec: stdout, stderr and exit code of any command; stdin and env reach it", async () => {
    const ran = await rigd.client.execService({ environmentId: id, service: "web", command: ["sh", "-c", "echo out; echo err >&2; exit 3"] });
    assert.deepEqual([ran.exitCode, text(ran.stdout), text(ran.stderr)], [3, "out\n", "err\n"]);
    const fed = await rigd.client.execService({
      environmentId: id,
      service: "web",
      command: ["sh", "-c", 'read line; echo "$line $GREETING"'],
      stdin: Buffer.from("fed\n"),
      env: { GREETING: "hello" },
    });
    assert.equal(text(fed.stdout), "fed hello\n");
  });

  it("copies content, a file and a directory in, and a directory out", async () => {
    await rigd.client.copyToService({ environmentId: id, service: "web", containerPath: "/data/new/config.txt", source: { case: "content", value: Buffer.from("k=v\n") } });
    const local = join(scratch, "in");
    mkdirSync(join(local, "sub"), { recursive: true });
    writeFileSync(join(local, "a.txt"), "A");
    writeFileSync(join(local, "sub", "b.txt"), "B");
    await rigd.client.copyToService({ environmentId: id, service: "web", containerPath: "/data/tree", source: { case: "hostPath", value: local } });
    await rigd.client.copyToService({ environmentId: id, service: "web", containerPath: "/www/page.html", source: { case: "hostPath", value: join(local, "a.txt") } });
    const listed = await rigd.client.execService({ environmentId: id, service: "web", command: ["sh", "-c", "cat /data/new/config.txt /data/tree/a.txt /data/tree/sub/b.txt /www/page.html"] });
    assert.equal(text(listed.stdout), "k=v\nABA");

    const out = join(scratch, "out");
    await rigd.client.copyFromService({ environmentId: id, service: "web", containerPath: "/data/tree", hostPath: out });
    assert.equal(readFileSync(join(out, "sub", "b.txt"), "utf8"), "B");
    const single = join(scratch, "config-copy.txt");
    await rigd.client.copyFromService({ environmentId: id, service: "web", containerPath: "/data/new/config.txt", hostPath: single });
    assert.equal(readFileSync(single, "utf8"), "k=v\n");

    const missing = await failure(rigd.client.copyFromService({ environmentId: id, service: "web", containerPath: "/nope", hostPath: join(scratch, "x") }));
    assert.match(missing.message, /has no \/nope/);
    const relative = await failure(rigd.client.copyToService({ environmentId: id, service: "web", containerPath: "data", source: { case: "content", value: Buffer.from("") } }));
    assert.equal(relative.code, Code.InvalidArgument);
  });

  it("logs: the service's output lines", async () => {
    const { lines } = await rigd.client.getServiceLogs({ environmentId: id, service: "web" });
    assert.ok(lines.some((l) => l.line === "booted" && l.stream === LogStream.STDOUT), JSON.stringify(lines));
  });

  it("stop and restart: events, the environment stays up, the service serves again on the same endpoint", async () => {
    const web = await serviceEndpoint(rigd, id, "web");
    const { environment: before } = await rigd.client.getEnvironment({ environmentId: id });
    const afterSeq = before!.lastSeq;
    await rigd.client.stopService({ environmentId: id, service: "web" });
    await assert.rejects(fetch(`http://${web.host}:${web.port}/`), "stopped: nothing answers");
    const stoppedExec = await failure(rigd.client.execService({ environmentId: id, service: "web", command: ["true"] }));
    assert.match(stoppedExec.message, /not running \(restart it first\)/);

    const restarted = await rigd.client.restartService({ environmentId: id, service: "web" });
    assert.equal(restarted.ingresses["default"]?.port, web.port);
    assert.equal((await (await fetch(`http://${web.host}:${web.port}/`)).text()).trim(), "hi");
    const { environment } = await rigd.client.getEnvironment({ environmentId: id });
    assert.equal(environment?.state, EnvironmentState.UP);

    const events = await collectEvents(rigd, id, (e) => e.type === "service.ready" && e.seq > afterSeq, { afterSeq });
    assert.deepEqual(
      events.filter((e) => e.service === "web").map((e) => e.type),
      ["service.stopping", "service.stopped", "service.starting", "service.healthy", "service.ready"],
    );
    await rigd.client.restartService({ environmentId: id, service: "web" }); // restarting a running service works too
  });

  it("clear errors: exec on a process service, an unknown service", async () => {
    const onProcess = await failure(rigd.client.execService({ environmentId: id, service: "host", command: ["true"] }));
    assert.equal(onProcess.code, Code.FailedPrecondition);
    assert.match(onProcess.message, /host is a process service: exec works on container services/);
    const unknown = await failure(rigd.client.execService({ environmentId: id, service: "nope", command: ["true"] }));
    assert.equal(unknown.code, Code.InvalidArgument);
    assert.match(unknown.message, /has no service "nope" \(it has web, host\)/);
  });
});
