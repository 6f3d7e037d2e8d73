/**
 * One bridge network per environment, `rig-{instance}`: its containers find each other
 * by service name (each joins with its service name as DNS alias), and containers of
 * other environments cannot reach them (the engine isolates user-defined bridges from
 * each other). The network is created when the first container of the environment
 * starts and removed when the last one is released, so an environment without
 * containers costs nothing and a failed start leaves nothing behind.
 *
 * It also records which services of the environment are containers on it and the
 * container port of each of their ingresses: the container type wires a container's
 * egress to such a service as `name:containerPort` instead of through the host.
 */
import type Docker from "dockerode";
import { setTimeout as sleep } from "node:timers/promises";
import { firstHost } from "./bridge-gateway.js";
import { environmentNetworkName } from "./container-name.js";
import { dockerMessage, dockerStatus, explainConnectError } from "./docker-client.js";
import { networkLabels, type RigdIdentity } from "./labels.js";

/** How often removal is retried while the engine still detaches removed containers. */
const REMOVE_ATTEMPTS = 10;
const REMOVE_RETRY_MS = 100;

/** The network of one environment. */
export interface EnvironmentNetwork {
  readonly name: string;
  readonly id: string;
  /** The host's address on this network's bridge. */
  readonly gateway: string;
  /** The network's IPv4 subnet, CIDR. */
  readonly subnet: string;
  /** Records that `service` is a container on this network listening on `ports` (ingress -> container port). */
  join(service: string, ports: Readonly<Record<string, number>>): void;
  leave(service: string): void;
  /** The container port of `service`'s `ingress` when that service is a container on this network. */
  containerPort(service: string, ingress: string): number | undefined;
}

/** A use of an environment's network; release it exactly once (at the service's release). */
export interface NetworkLease {
  readonly network: Promise<EnvironmentNetwork>;
  release(): Promise<void>;
}

interface Entry {
  users: number;
  readonly network: Promise<EnvironmentNetwork>;
}

interface NetworkInfo {
  IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] | null };
}

/** The networks of every environment of one rigd. */
export class EnvironmentNetworks {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly docker: Docker,
    private readonly owner: RigdIdentity,
  ) {}

  /** The network of `environmentId`, created on its first lease, removed after its last release. */
  acquire(environmentId: string): NetworkLease {
    let entry = this.entries.get(environmentId);
    if (!entry) {
      entry = { users: 0, network: this.create(environmentId) };
      entry.network.catch(() => {}); // the lease holder sees the error
      this.entries.set(environmentId, entry);
    }
    const held = entry;
    held.users++;
    let released = false;
    return {
      network: held.network,
      release: async () => {
        if (released) return;
        released = true;
        if (--held.users > 0) return;
        if (this.entries.get(environmentId) === held) this.entries.delete(environmentId);
        const network = await held.network.catch(() => undefined);
        if (network) await removeNetwork(this.docker, network.id, network.name);
      },
    };
  }

  private async create(environmentId: string): Promise<EnvironmentNetwork> {
    const name = environmentNetworkName(environmentId);
    let created: Docker.Network;
    try {
      created = await this.docker.createNetwork({
        Name: name,
        Driver: "bridge",
        CheckDuplicate: true,
        Labels: networkLabels(this.owner, environmentId),
      });
    } catch (err) {
      throw networkError(name, explainConnectError(this.docker, err));
    }
    let info: NetworkInfo;
    try {
      info = (await created.inspect()) as NetworkInfo;
    } catch (err) {
      await removeNetwork(this.docker, created.id, name).catch(() => {});
      throw networkError(name, err);
    }
    const ipam = (info.IPAM?.Config ?? []).find((c) => c.Subnet && !c.Subnet.includes(":"));
    if (!ipam?.Subnet) {
      await removeNetwork(this.docker, created.id, name).catch(() => {});
      throw new Error(`network ${name} got no IPv4 subnet from the engine`);
    }
    const members = new Map<string, Readonly<Record<string, number>>>();
    return {
      name,
      id: created.id,
      subnet: ipam.Subnet,
      gateway: ipam.Gateway || firstHost(ipam.Subnet),
      join: (service, ports) => void members.set(service, ports),
      leave: (service) => void members.delete(service),
      containerPort: (service, ingress) => members.get(service)?.[ingress],
    };
  }
}

/** Removes a network, waiting while the engine still detaches containers just removed. 404 is success. */
export async function removeNetwork(docker: Docker, id: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await docker.getNetwork(id).remove();
      return;
    } catch (err) {
      if (dockerStatus(err) === 404) return;
      const busy = dockerStatus(err) === 403 || dockerStatus(err) === 409 || /active endpoints/.test(dockerMessage(err));
      if (!busy || attempt >= REMOVE_ATTEMPTS) throw new Error(`cannot remove network ${name}: ${dockerMessage(err)}`);
    }
    await sleep(REMOVE_RETRY_MS);
  }
}

function networkError(name: string, err: unknown): Error {
  if (err instanceof Error && err.name === "EngineUnreachableError") return err;
  const message = dockerMessage(err);
  if (/address pool/i.test(message)) {
    return new Error(
      `cannot create network ${name}: the Docker engine has no free address range (${message}). Each environment ` +
        'with containers gets its own network; give the engine smaller subnets in daemon.json, e.g. "default-address-pools": ' +
        '[{"base":"10.201.0.0/16","size":24}], or run fewer such environments at once',
    );
  }
  return new Error(`cannot create network ${name}: ${message}`);
}

/** True when IPv4 `address` lies in `subnet` (CIDR). Mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4. */
export function inSubnet(address: string, subnet: string): boolean {
  const ip = toNumber(address.replace(/^::ffff:/, ""));
  const [base, bits] = subnet.split("/");
  const net = toNumber(base ?? "");
  const size = Number(bits);
  if (ip === undefined || net === undefined || !Number.isInteger(size) || size < 0 || size > 32) return false;
  const mask = size === 0 ? 0 : (0xffffffff << (32 - size)) >>> 0;
  return ((ip & mask) >>> 0) === ((net & mask) >>> 0);
}

function toNumber(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}
