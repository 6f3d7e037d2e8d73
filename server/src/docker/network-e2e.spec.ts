/**
 * Environment networks through a real rigd and a real engine: containers of one
 * environment reach each other by service name and container port, other environments'
 * containers are unreachable, observed container edges go through the recording proxy
 * under the target's name, and no network outlives its environment: not after teardown,
 * not after a failed start, not after `kill -9` of rigd (its watchdog, else the next rigd).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, it } from "node:test";
import type { Event } from "../gen/rig/v1/event_pb.js";
import { Protocol, ReadinessKind } from "../gen/rig/v1/spec_pb.js";
import { eventually, watchdogOf, type Rigd } from "../testing/rigd-harness.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { serviceContainerName, environmentNetworkName } from "./container-name.js";
import { createDockerClient } from "./docker-client.js";
import {
  dockerResourcesOf,
  execIn,
  failingEnvironment,
  networksOf,
  serviceEndpoint,
  startDockerRigd,
  upEnvironment,
  useDockerRigd,
} from "./testing/docker-rigd.js";
import { testImages } from "./testing/test-images.js";

const docker = createDockerClient();
type ServiceInit = MessageInitShape<typeof ServiceSchema>;

/** busybox httpd on container port 80 serving its own hostname (= its container id, short). */
const server: ServiceInit = {
  name: "server",
  ingresses: [{ name: "default", protocol: Protocol.HTTP, containerPort: 80 }],
  config: {
    case: "container",
    value: { image: testImages.busybox, cmd: ["sh", "-c", "mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 80 -h /www"] },
  },
};

/** A container that only sleeps, with an egress to `server`. */
const client: ServiceInit = {
  name: "client",
  noIngress: true,
  egresses: [{ service: "server" }],
  config: { case: "container", value: { image: testImages.busybox, cmd: ["sleep", "600"] } },
};

function pair(name: string, observe = false): { name: string; observe: boolean; services: ServiceInit[] } {
  return { name, observe, services: [server, client] };
}

/** The value of `name` in the container's environment. */
async function containerEnv(id: string, service: string, name: string): Promise<string | undefined> {
  const info = await docker.getContainer(serviceContainerName(id, service)).inspect();
  return info.Config.Env.find((e) => e.startsWith(`${name}=`))?.slice(name.length + 1);
}

async function hostnameOf(id: string, service: string): Promise<string> {
  return (await docker.getContainer(serviceContainerName(id, service)).inspect()).Config.Hostname;
}

async function ipOn(id: string, service: string): Promise<string> {
  const info = await docker.getContainer(serviceContainerName(id, service)).inspect();
  const address = info.NetworkSettings.Networks[environmentNetworkName(id)]?.IPAddress;
  assert.ok(address, `${service} of ${id} is on its environment's network`);
  return address;
}

/** `wget` from the client container of environment `id`; stdout, or the exit code when it fails. */
async function fetchFromClient(id: string, url: string): Promise<string> {
  // `timeout`, not wget's -T (which crashes this busybox build).
  const result = await execIn(docker, id, "client", ["timeout", "3", "wget", "-qO-", url]);
  return result.exitCode === 0 ? result.stdout.trim() : `failed (${result.exitCode})`;
}

describe("environment networks (real rigd, real engine)", { concurrency: false }, () => {
  const fixture = useDockerRigd(docker);
  let rigd: Rigd;
  before(() => (rigd = fixture.rigd));

  it("containers reach each other by name and container port; two environments of one spec cannot reach each other", async (t) => {
    const [a, b] = await Promise.all([upEnvironment(rigd, pair("net")), upEnvironment(rigd, pair("net"))]);
    assert.deepEqual(await networksOf(docker, a.id), [environmentNetworkName(a.id)]);

    assert.equal(await containerEnv(a.id, "client", "SERVER_HOST"), "server");
    assert.equal(await containerEnv(a.id, "client", "SERVER_PORT"), "80");
    assert.equal(await fetchFromClient(a.id, "http://server:80/"), await hostnameOf(a.id, "server"), "A's client reaches A's server by name");
    assert.equal(await fetchFromClient(b.id, "http://server:80/"), await hostnameOf(b.id, "server"), "B's client reaches B's server by name");
    // On a reach, say which container answered and what each client is attached to.
    const why = async (): Promise<string> => {
      const attached = async (id: string): Promise<string> =>
        Object.entries((await docker.getContainer(serviceContainerName(id, "client")).inspect()).NetworkSettings.Networks)
          .map(([name, n]) => `${name} ${n.IPAddress}`)
          .join(", ");
      // The engine's isolation rules, when this test may read them (root on Linux).
      const rules = ["DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "FORWARD"]
        .map((chain) => spawnSync("iptables", ["-S", chain], { encoding: "utf8" }).stdout ?? "")
        .join("");
      const bridges = await Promise.all([a.id, b.id].map(async (id) => (await docker.getNetwork(environmentNetworkName(id)).inspect()).Id.slice(0, 12)));
      return (
        `servers: A ${await hostnameOf(a.id, "server")} at ${await ipOn(a.id, "server")}, B ${await hostnameOf(b.id, "server")} at ${await ipOn(b.id, "server")}; ` +
        `A's client on ${await attached(a.id)}; B's client on ${await attached(b.id)}; bridges A br-${bridges[0]}, B br-${bridges[1]}; rules:\n${rules}`
      );
    };
    // Isolation between bridge networks is the engine's (Docker 20.10: iptables rules per
    // network, reached through one jump at the top of FORWARD). Creating any network makes
    // the engine delete that jump and insert it again: a packet in between is forwarded
    // unisolated. Other specs create networks meanwhile, and a run of the full suite caught
    // B reaching A in that window (the diagnostic showed the jump right above another new
    // network's rules). So a reach is reported and retried; one that persists for 3 s fails.
    const unreachable = async (from: string, to: string, what: string): Promise<void> => {
      let answer = "";
      for (let attempt = 1; attempt <= 3; attempt++) {
        answer = await fetchFromClient(from, `http://${await ipOn(to, "server")}:80/`);
        if (answer.startsWith("failed")) return;
        t.diagnostic(`${what}: attempt ${attempt} answered by ${answer}; ${await why()}`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      assert.fail(`${what} (answered by ${answer}; ${await why()})`);
    };
    await unreachable(a.id, b.id, "A cannot reach B's server");
    await unreachable(b.id, a.id, "B cannot reach A's server");

    // The test (a host process) keeps the mapped loopback port.
    const fromHost = await serviceEndpoint(rigd, a.id, "server");
    assert.equal(fromHost.host, "127.0.0.1");
    assert.equal((await (await fetch(`http://127.0.0.1:${fromHost.port}/`)).text()).trim(), await hostnameOf(a.id, "server"));

    await Promise.all([a, b].map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
    assert.deepEqual([...(await networksOf(docker, a.id)), ...(await networksOf(docker, b.id))], [], "networks gone after teardown");
  });

  it("observe on: the client reaches the server by name through the recording proxy; other environments cannot use that route", async () => {
    const [a, b] = await Promise.all([upEnvironment(rigd, pair("observed", true)), upEnvironment(rigd, pair("plain"))]);
    const host = await containerEnv(a.id, "client", "SERVER_HOST");
    const port = await containerEnv(a.id, "client", "SERVER_PORT");
    assert.equal(host, "server");
    assert.equal(await fetchFromClient(a.id, `http://server:${port}/recorded`), "failed (1)", "busybox httpd answers 404 here");
    assert.equal(await fetchFromClient(a.id, `http://server:${port}/`), await hostnameOf(a.id, "server"));

    const seen: Event[] = [];
    for await (const res of rigd.client.watchEvents({ environmentId: a.id }, { signal: AbortSignal.timeout(10_000) })) {
      if (res.event?.payload.case === "requestCompleted") seen.push(res.event);
      if (seen.some((e) => e.payload.case === "requestCompleted" && e.payload.value.path === "/recorded")) break;
    }
    const recorded = seen.find((e) => e.payload.case === "requestCompleted" && e.payload.value.path === "/recorded");
    assert.ok(recorded?.payload.case === "requestCompleted");
    assert.equal(recorded.payload.value.source, "client");
    assert.equal(recorded.payload.value.target, "server");
    assert.equal(recorded.payload.value.status, 404);

    // The route listens on A's gateway; B's containers are refused there.
    const gateway = (await docker.getNetwork(environmentNetworkName(a.id)).inspect()).IPAM?.Config?.[0]?.Gateway as string;
    assert.match(await fetchFromClient(b.id, `http://${gateway}:${port}/`), /^failed/, "B cannot use A's proxy route");

    await Promise.all([a, b].map((e) => rigd.client.destroyEnvironment({ environmentId: e.id })));
    assert.deepEqual([...(await networksOf(docker, a.id)), ...(await networksOf(docker, b.id))], []);
  });

  it("a failed start leaves no network", async () => {
    const broken: ServiceInit = {
      name: "broken",
      ingresses: [{ name: "default", protocol: Protocol.TCP, containerPort: 9 }],
      egresses: [{ service: "server" }],
      config: { case: "container", value: { image: testImages.busybox, cmd: ["sh", "-c", "echo giving up >&2; exit 3"] } },
    };
    const { id, events } = await failingEnvironment(rigd, { name: "broken", services: [server, broken] });
    const down = events.at(-1);
    assert.ok(down?.payload.case === "environmentDown" && /broken/.test(down.payload.value.summary), "the environment failed on broken");
    assert.ok(events.some((e) => e.service === "server" && e.type === "service.ready"), "the server container ran on the network");
    assert.deepEqual(await networksOf(docker, id), []);
  });

  it("after kill -9 of rigd its watchdog removes the network; with the watchdog killed too, the next rigd does", async () => {
    const box: ServiceInit = {
      name: "box",
      ingresses: [{ name: "default", protocol: Protocol.TCP, ready: { kind: ReadinessKind.NONE } }],
      config: { case: "container", value: { image: testImages.busybox, cmd: ["sleep", "600"] } },
    };
    // Its own host label: rigds other specs start meanwhile leave the killed rigd's network
    // to the next rigd of this test (they reap only orphans of their own host).
    const hostLabel = { RIG_DOCKER_HOST_LABEL: `rig-network-e2e-${process.pid}` };
    for (const killWatchdog of [false, true]) {
      const doomed = await startDockerRigd(hostLabel);
      const pid = doomed.child.pid as number;
      fixture.track(doomed);
      const env = await upEnvironment(doomed, { name: "doomed", services: [box] });
      assert.deepEqual(await networksOf(docker, env.id), [environmentNetworkName(env.id)]);
      const watchdog = watchdogOf(pid);
      if (killWatchdog) {
        assert.ok(watchdog, "rigd has a watchdog");
        process.kill(watchdog, "SIGKILL");
      }
      doomed.child.kill("SIGKILL");
      await doomed.stop();
      if (!killWatchdog) {
        await eventually(async () => (await dockerResourcesOf(docker, pid)).length === 0, 15_000, "the watchdog to clean up");
        continue;
      }
      assert.deepEqual(await networksOf(docker, env.id), [environmentNetworkName(env.id)], "nothing removes it while no rigd runs");
      const next = await startDockerRigd(hostLabel);
      try {
        await eventually(async () => (await dockerResourcesOf(docker, pid)).length === 0, 20_000, "the next rigd to reap");
      } finally {
        await next.stop();
      }
    }
  });
});
