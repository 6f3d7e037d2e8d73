import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { createDockerClient, engineReachable } from "./docker-client.js";
import { engineSocketPath, getEngineJson } from "../os/engine-socket.js";
import { LABEL_REUSE, LABEL_RIGD, LABEL_RIGD_HOST, ownerLabels } from "./labels.js";
import { orphansLeft, pidIsAlive, reapOrphanNetworks, reapOrphans } from "./reaper.js";
import { startContainer } from "./run-container.js";
import { rigContainers, testImages, testOwner } from "./testing/test-images.js";

const docker = createDockerClient();
const rigdId = testOwner("reaper").rigdId;
// A host name of our own: a rigd starting meanwhile (other specs) reaps only its own host's orphans.
const host = `${rigdId}.test`;

/** The pid of a process that has exited (so it is not alive). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  assert.ok(child.pid && !pidIsAlive(child.pid));
  return child.pid;
}

async function labelled(name: string, labels: Record<string, string>): Promise<void> {
  await startContainer(docker, {
    name: `${rigdId}-${name}`,
    image: testImages.busybox,
    cmd: ["sleep", "600"],
    env: {},
    labels,
    ports: [],
  });
}

describe("reapOrphans (real engine)", () => {
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
  });
  after(async () => {
    for (const name of await rigContainers(docker, rigdId)) await docker.getContainer(name).remove({ force: true });
    for (const n of await docker.listNetworks({ filters: { label: [`${LABEL_RIGD}=${rigdId}`] } })) await docker.getNetwork(n.Id).remove();
  });

  it("removes containers of a dead rigd on this host, and only those", async () => {
    const dead = await deadPid();
    await labelled("orphan", ownerLabels({ rigdId, pid: dead, host }));
    await labelled("live", ownerLabels({ rigdId, pid: process.pid, host }));
    await labelled("elsewhere", { ...ownerLabels({ rigdId, pid: dead }), [LABEL_RIGD_HOST]: "some-other-host" });

    const reaped = await reapOrphans(docker, pidIsAlive, { host });
    assert.deepEqual(
      reaped.filter((r) => r.name.startsWith(rigdId)).map((r) => [r.name, r.pid]),
      [[`${rigdId}-orphan`, dead]],
    );
    assert.deepEqual((await rigContainers(docker, rigdId)).sort(), [`${rigdId}-elsewhere`, `${rigdId}-live`]);
  });

  it("tells over the engine's socket, without dockerode, whether a dead rigd left anything", async () => {
    // Only this test's host: other specs' rigds label their own.
    const quiet = `${host}.quiet`;
    assert.equal(await orphansLeft(pidIsAlive, { host: quiet }), false, "nothing of this host yet");
    await labelled("quiet-live", ownerLabels({ rigdId, pid: process.pid, host: quiet }));
    await labelled("quiet-kept", { ...ownerLabels({ rigdId, pid: await deadPid(), host: quiet }), [LABEL_REUSE]: "true" });
    assert.equal(await orphansLeft(pidIsAlive, { host: quiet }), false, "a live rigd's container and a reusable one are no orphans");
    const network = await docker.createNetwork({ Name: `${rigdId}-quiet-orphan`, Labels: ownerLabels({ rigdId, pid: await deadPid(), host: quiet }) });
    assert.equal(await orphansLeft(pidIsAlive, { host: quiet }), true, "a dead rigd's network is");
    await network.remove();
    await labelled("quiet-orphan", ownerLabels({ rigdId, pid: await deadPid(), host: quiet }));
    assert.equal(await orphansLeft(pidIsAlive, { host: quiet }), true, "a dead rigd's container is");
    await reapOrphans(docker, pidIsAlive, { host: quiet });
    assert.equal(await orphansLeft(pidIsAlive, { host: quiet }), false, "none once reaped");
  });

  it("leaves the question to dockerode when the engine is not on a unix socket, and says where it could not ask", async () => {
    assert.equal(engineSocketPath({ DOCKER_HOST: "tcp://127.0.0.1:2375" }), undefined);
    assert.equal(engineSocketPath({}), "/var/run/docker.sock");
    assert.equal(engineSocketPath({ DOCKER_HOST: "unix:///run/user/1000/docker.sock" }), "/run/user/1000/docker.sock");
    await assert.rejects(getEngineJson("/nonexistent/docker.sock", "/containers/json"), /ENOENT/);
  });

  it("removes networks of a dead rigd on this host, and only those", async () => {
    const dead = await deadPid();
    const network = (name: string, labels: Record<string, string>) => docker.createNetwork({ Name: `${rigdId}-${name}`, Labels: labels });
    await network("orphan", ownerLabels({ rigdId, pid: dead, host }));
    await network("live", ownerLabels({ rigdId, pid: process.pid, host }));
    await network("elsewhere", { ...ownerLabels({ rigdId, pid: dead }), [LABEL_RIGD_HOST]: "some-other-host" });

    const reaped = await reapOrphanNetworks(docker, pidIsAlive, { host });
    assert.deepEqual(
      reaped.filter((r) => r.name.startsWith(rigdId)).map((r) => [r.name, r.pid]),
      [[`${rigdId}-orphan`, dead]],
    );
    const left = await docker.listNetworks({ filters: { label: [`${LABEL_RIGD}=${rigdId}`] } });
    assert.deepEqual(left.map((n) => n.Name).sort(), [`${rigdId}-elsewhere`, `${rigdId}-live`]);
  });
});
