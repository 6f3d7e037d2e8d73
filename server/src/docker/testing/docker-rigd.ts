/**
 * A real rigd for Docker specs: started with the test images as pool defaults, plus the
 * few queries those specs make of the engine (an environment's containers and network).
 */
import assert from "node:assert/strict";
import { after, before } from "node:test";
import type Docker from "dockerode";
import type { Endpoint, Event } from "../../gen/rig/v1/event_pb.js";
import { collectEvents, spec, startRigd, type Rigd } from "../../testing/rigd-harness.js";
import { engineReachable } from "../docker-client.js";
import { serviceContainerName } from "../container-name.js";
import { execInContainer, type ExecResult } from "../container-exec.js";
import { LABEL_ENVIRONMENT, LABEL_RIGD_PID } from "../labels.js";
import { testImages } from "./test-images.js";

/** rigd with RIG_POSTGRES_IMAGE / RIG_REDIS_IMAGE set to the test images, idle timeout off. */
export function startDockerRigd(env: NodeJS.ProcessEnv = {}): Promise<Rigd> {
  return startRigd(["--idle", "0"], {
    env: { RIG_POSTGRES_IMAGE: testImages.postgres, RIG_REDIS_IMAGE: testImages.redis, ...env },
  });
}

/** Creates an environment and waits for environment.up; throws with the down summary otherwise. */
export async function upEnvironment(rigd: Rigd, init: Parameters<typeof spec>[0]): Promise<{ id: string; events: Event[] }> {
  const { environmentId } = await rigd.client.createEnvironment({ spec: spec(init) });
  const events = await collectEvents(rigd, environmentId, undefined, { timeoutMs: 120_000 });
  const last = events.at(-1);
  if (last?.payload.case !== "environmentUp") {
    const down = events.find((e) => e.payload.case === "environmentDown");
    throw new Error(`environment did not come up: ${down?.payload.case === "environmentDown" ? down.payload.value.summary : last?.type}`);
  }
  return { id: environmentId, events };
}

/** Creates an environment expected to fail; resolves with its events up to environment.down. */
export async function failingEnvironment(rigd: Rigd, init: Parameters<typeof spec>[0]): Promise<{ id: string; events: Event[] }> {
  const { environmentId } = await rigd.client.createEnvironment({ spec: spec(init) });
  const events = await collectEvents(rigd, environmentId, (e) => e.type === "environment.down", { timeoutMs: 120_000 });
  return { id: environmentId, events };
}

/** The resolved endpoint of a service's ingress. */
export async function serviceEndpoint(rigd: Rigd, id: string, service: string, ingress = "default"): Promise<Endpoint> {
  const { environment } = await rigd.client.getEnvironment({ environmentId: id });
  const found = environment?.services.find((s) => s.name === service)?.ingresses[ingress];
  assert.ok(found, `${service} has an ingress ${ingress}`);
  return found;
}

/** Runs a command in a service's container. */
export function execIn(docker: Docker, id: string, service: string, cmd: readonly string[]): Promise<ExecResult> {
  return execInContainer(docker, serviceContainerName(id, service), cmd);
}

/** Names of the networks of an environment (none once it is down). */
export async function networksOf(docker: Docker, environmentId: string): Promise<string[]> {
  const list = await docker.listNetworks({ filters: { label: [`${LABEL_ENVIRONMENT}=${environmentId}`] } });
  return list.map((n) => n.Name);
}

/** Names of containers and networks owned by the rigd with this pid. */
export async function dockerResourcesOf(docker: Docker, pid: number): Promise<string[]> {
  const label = [`${LABEL_RIGD_PID}=${pid}`];
  const containers = await docker.listContainers({ all: true, filters: { label } });
  const networks = await docker.listNetworks({ filters: { label } });
  return [...containers.map((c) => `container ${(c.Names[0] ?? c.Id).replace(/^\//, "")}`), ...networks.map((n) => `network ${n.Name}`)];
}

/**
 * For a describe block: a rigd started before its tests (the engine must answer), and
 * after them stopped, `cleanup` run, and no container or network left by it or by any
 * rigd given to `track`.
 */
export function useDockerRigd(docker: Docker, cleanup: () => Promise<void> = async () => {}): { readonly rigd: Rigd; track(rigd: Rigd): void } {
  let rigd: Rigd | undefined;
  const pids: number[] = [];
  before(async () => {
    assert.ok(await engineReachable(docker), "no Docker engine: run scripts/install-docker.sh");
    rigd = await startDockerRigd();
    pids.push(rigd.child.pid as number);
  });
  after(async () => {
    await rigd?.stop();
    await cleanup();
    for (const pid of pids) assert.deepEqual(await dockerResourcesOf(docker, pid), [], `rigd ${pid} left Docker resources`);
  });
  return {
    get rigd(): Rigd {
      if (!rigd) throw new Error("rigd is not started yet (use it inside a test)");
      return rigd;
    },
    track: (other) => void pids.push(other.child.pid as number),
  };
}
