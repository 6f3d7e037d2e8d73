/**
 * The host's address on Docker's default bridge: what `host.docker.internal` resolves
 * to inside a container started with `host.docker.internal:host-gateway` on Linux.
 */
import type Docker from "dockerode";
import { networkInterfaces } from "node:os";

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

interface BridgeInfo {
  IPAM?: { Config?: { Gateway?: string; Subnet?: string }[] | null };
  Options?: Record<string, string> | null;
}

/**
 * The IPv4 gateway of the engine's default `bridge` network (e.g. 172.17.0.1). Engines
 * before 23 leave IPAM.Gateway empty for it; then the bridge interface's own address
 * (rigd runs on the engine's host) and finally the subnet's first address answer.
 */
export async function bridgeGateway(docker: Docker): Promise<string> {
  const info = (await docker.getNetwork("bridge").inspect()) as BridgeInfo;
  const configs = info.IPAM?.Config ?? [];
  const gateway = configs.map((c) => c.Gateway).find((g): g is string => !!g && IPV4.test(g));
  if (gateway) return gateway;
  const ifname = info.Options?.["com.docker.network.bridge.name"] ?? "docker0";
  const address = networkInterfaces()[ifname]?.find((a) => a.family === "IPv4")?.address;
  if (address) return address;
  const subnet = configs.map((c) => c.Subnet).find((s): s is string => !!s && IPV4.test(s.split("/")[0] ?? ""));
  if (subnet) return firstHost(subnet);
  throw new Error("cannot tell the Docker bridge's gateway address; containers cannot reach host services");
}

/** `a.b.c.d/n` -> the subnet's first host address (where engines put the gateway). */
export function firstHost(subnet: string): string {
  const octets = (subnet.split("/")[0] ?? "").split(".").map(Number);
  octets[3] = (octets[3] ?? 0) + 1;
  return octets.join(".");
}
