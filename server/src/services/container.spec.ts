import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { readFile } from "node:fs/promises";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { ContainerConfigSchema, HookSchema, Protocol, type Hook } from "../gen/rig/v1/spec_pb.js";
import { createDockerClient, engineReachable } from "../docker/docker-client.js";
import { execChecked } from "../docker/container-exec.js";
import { serviceContainerName } from "../docker/container-name.js";
import { LABEL_ENVIRONMENT, LABEL_RIGD, LABEL_RIGD_PID, LABEL_SERVICE } from "../docker/labels.js";
import { proxiedTcpProbe } from "../docker/proxied-tcp-probe.js";
import { HarnessEnvironment } from "../docker/testing/service-harness.js";
import { rigContainers, testImages, testOwner } from "../docker/testing/test-images.js";
import { createContainerType } from "./container.js";
import type { ServiceType } from "../contract/service-type.js";

const docker = createDockerClient();
const owner = testOwner("container");
const containerType = createContainerType({ docker, owner });

function exec(...command: string[]): Hook {
  return create(HookSchema, { action: { case: "exec", value: { command } } });
}

function busybox(cmd: string, env: Record<string, string> = {}): ReturnType<typeof create<typeof ContainerConfigSchema>> {
  return create(ContainerConfigSchema, { image: testImages.busybox, cmd: ["sh", "-c", cmd], env });
}

/** A host service on 127.0.0.1, as a process service would be: a type that publishes a fixed endpoint. */
function hostServiceType(port: number): ServiceType {
  return {
    name: "host",
    defaults: { defaultProtocol: Protocol.HTTP, serverHooks: [], attributes: [] },
    configOf: () => undefined,
    async publish() {
      return {
        default: { host: "127.0.0.1", port, protocol: Protocol.HTTP, attributes: { URL: "http://${HOSTPORT}/hello" } },
      };
    },
    async start() {
      const never = new Promise<never>(() => {});
      return { exited: never, stop: async () => ({ code: 0, signal: null }) };
    },
  };
}

describe("container type (real engine)", () => {
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
  });
  after(async () => {
    assert.deepEqual(await rigContainers(docker, owner.rigdId), [], "no container of this spec may remain");
  });

  it("runs busybox httpd on a mapped port with env, streams output, runs an exec hook", async () => {
    await using env = await HarnessEnvironment.create("web");
    const web = await env.up({
      name: "web",
      type: containerType,
      config: busybox('mkdir -p /www && echo "$GREETING from $RIG_SERVICE on $HOST:$PORT" > /www/index.html && echo started && exec httpd -f -p "$PORT" -h /www', {
        GREETING: "hello",
      }),
      ingresses: [{ containerPort: 8080 }],
      init: [exec("sh", "-c", "echo hooked > /www/hook.txt && echo hook-ran")],
    });
    const endpoint = web.endpoints["default"]!;
    assert.equal(endpoint.host, "127.0.0.1");
    assert.notEqual(endpoint.port, 8080, "the host port is allocated, not the container port");

    const page = await (await fetch(`http://127.0.0.1:${endpoint.port}/`)).text();
    assert.equal(page.trim(), "hello from web on 0.0.0.0:8080");
    assert.equal((await (await fetch(`http://127.0.0.1:${endpoint.port}/hook.txt`)).text()).trim(), "hooked");
    await web.waitForLine(/^started$/);
    await web.waitForLine(/^hook-ran$/);

    const name = serviceContainerName(env.id, "web");
    const info = await docker.getContainer(name).inspect();
    assert.equal(info.Config.Labels[LABEL_RIGD], owner.rigdId);
    assert.equal(info.Config.Labels[LABEL_RIGD_PID], String(process.pid));
    assert.equal(info.Config.Labels[LABEL_ENVIRONMENT], env.id);
    assert.equal(info.Config.Labels[LABEL_SERVICE], "web");
    assert.ok(info.HostConfig.ExtraHosts?.includes("host.docker.internal:host-gateway"));

    await env.down();
    const status = await web.running.exited;
    assert.equal(typeof status.code, "number");
    await assert.rejects(docker.getContainer(name).inspect(), /no such container/i);
  });

  it("uses the host port inside when no container port is given", async () => {
    await using env = await HarnessEnvironment.create("same");
    const web = await env.up({
      name: "web",
      type: containerType,
      config: busybox('mkdir -p /www && echo "$PORT" > /www/index.html && exec httpd -f -p "$PORT" -h /www'),
    });
    const port = web.endpoints["default"]!.port;
    assert.equal((await (await fetch(`http://127.0.0.1:${port}/`)).text()).trim(), String(port));
  });

  it("a failing exec hook fails with its exit code and output", async () => {
    await using env = await HarnessEnvironment.create("hookfail");
    await assert.rejects(
      env.up({
        name: "svc",
        type: containerType,
        config: busybox("exec sleep 600"),
        ingresses: [{ ready: "none" }],
        init: [exec("sh", "-c", "echo about-to-fail; echo broken-thing >&2; exit 3")],
      }),
      (err: Error) => /exited with code 3/.test(err.message) && /broken-thing/.test(err.message),
    );
  });

  it("reaches a host service on 127.0.0.1 through its egress wiring", async () => {
    const server = http.createServer((_req, res) => res.end("from-the-host"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      await using env = await HarnessEnvironment.create("egress");
      await env.up({ name: "api", type: hostServiceType((server.address() as AddressInfo).port), config: {} });
      const client = await env.up({
        name: "client",
        type: containerType,
        config: busybox('echo "api=$API_HOST:$API_PORT url=$API_URL"; wget -qO- "$API_URL"; echo; exec sleep 600'),
        ingresses: [{ ready: "none" }],
        egresses: [{ name: "api", service: "api" }],
      });
      const wiring = await client.waitForLine(/^api=/);
      assert.match(wiring, /^api=host\.docker\.internal:\d+ url=http:\/\/host\.docker\.internal:\d+\/hello$/);
      await client.waitForLine(/^from-the-host$/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("mounts the environment dir at the same path", async () => {
    await using env = await HarnessEnvironment.create("dirs");
    const svc = await env.up({
      name: "writer",
      type: containerType,
      config: busybox('echo from-container > "$RIG_ENV_DIR/out.txt"; echo written; exec sleep 600'),
      ingresses: [{ ready: "none" }],
    });
    await svc.waitForLine(/^written$/);
    assert.equal((await readFile(`${env.envDir}/out.txt`, "utf8")).trim(), "from-container");
  });

  it("tcp readiness waits for a listener behind the engine's port proxy", async () => {
    await using env = await HarnessEnvironment.create("tcp");
    const svc = await env.up({
      name: "idle",
      type: containerType,
      config: busybox("exec sleep 600"),
      ingresses: [{ protocol: Protocol.TCP, containerPort: 9000, ready: "none" }],
    });
    const target = svc.endpoints["default"]!;
    const probe = proxiedTcpProbe(target);
    const signal = new AbortController().signal;
    const before = await probe(signal);
    assert.equal(before.ready, false, `nothing listens in the container yet: ${before.detail}`);
    // httpd daemonizes: the exec ends, the listener stays.
    await execChecked(docker, serviceContainerName(env.id, "idle"), ["httpd", "-p", "9000", "-h", "/"], "httpd");
    const after = await probe(signal);
    assert.equal(after.ready, true, `a listener is up: ${after.detail}`);
  });

  it("a missing image fails fast naming the image, and leaves no container", async () => {
    await using env = await HarnessEnvironment.create("missing");
    const image = "rig-test/does-not-exist:never";
    const spec = { name: "ghost", type: containerType, config: create(ContainerConfigSchema, { image }) } as const;
    const started = Date.now();
    await assert.rejects(env.artifacts(spec), (err: Error) => err.message.includes(`"${image}"`));
    assert.ok(Date.now() - started < 20_000, "fails fast without a registry");
    // Even when start is reached without the artifact phase, the error names the image.
    await assert.rejects(
      env.up({ ...spec, type: { ...containerType, artifacts: () => [] } }),
      (err: Error) => err.message.includes(`"${image}"`),
    );
    await env.down();
    assert.deepEqual(await rigContainers(docker, owner.rigdId), []);
  });
});
