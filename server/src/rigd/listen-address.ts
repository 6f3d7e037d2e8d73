/**
 * Parses and checks `--listen`: rigd serves an unauthenticated API that can start
 * processes, so it binds loopback addresses only.
 */
import net from "node:net";

/** A loopback host and a port (0 = pick a free one). */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `HOST:PORT` or `[V6]:PORT`; throws when malformed or not loopback. */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  if (!match) throw new Error(`invalid --listen "${text}": expected HOST:PORT, e.g. 127.0.0.1:0`);
  const rawHost = match[1] ?? match[2] ?? "";
  const port = Number(match[3]);
  if (port > 65535) throw new Error(`invalid --listen "${text}": port ${port} is out of range`);
  const host = rawHost === "localhost" ? "127.0.0.1" : rawHost;
  if (!isLoopback(host)) {
    throw new Error(`refusing --listen "${text}": rigd only binds loopback addresses (127.0.0.0/8, ::1)`);
  }
  return { host, port };
}

const LOOPBACK = new net.BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** Whether an IP literal is a loopback address (any IPv6 spelling of ::1 included). */
export function isLoopback(host: string): boolean {
  if (net.isIPv4(host)) return LOOPBACK.check(host, "ipv4");
  if (net.isIPv6(host)) return LOOPBACK.check(host, "ipv6");
  return false;
}

/** `host:port` as clients dial it (IPv6 in brackets). */
export function formatHostPort(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}
