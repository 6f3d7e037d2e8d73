/**
 * Parses and checks `--listen`: rigd serves an API that can start processes, so it binds
 * loopback addresses only, or a unix socket (`unix:/path/rigd.sock`).
 */
import net from "node:net";
import path from "node:path";

/** A loopback host and a port (0 = pick a free one). */
export interface TcpListenAddress {
  readonly host: string;
  readonly port: number;
}

/** A unix domain socket (absolute path). */
export interface UnixListenAddress {
  readonly path: string;
}

/** Where rigd listens. */
export type ListenAddress = TcpListenAddress | UnixListenAddress;

/** The prefix of a unix socket address, in `--listen` and in the addr file. */
export const UNIX_PREFIX = "unix:";

/** Longest socket path Linux accepts (sun_path is 108 bytes with its NUL). */
const MAX_SOCKET_PATH = 107;

/** Parses `HOST:PORT`, `[V6]:PORT` or `unix:PATH`; throws when malformed or not loopback. */
export function parseListenAddress(text: string): ListenAddress {
  if (text.trim().startsWith(UNIX_PREFIX)) {
    const raw = text.trim().slice(UNIX_PREFIX.length);
    if (!raw) throw new Error(`invalid --listen "${text}": expected unix:/path/to/rigd.sock`);
    const socketPath = path.resolve(raw);
    if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) {
      throw new Error(`invalid --listen "${text}": socket path longer than ${MAX_SOCKET_PATH} bytes`);
    }
    return { path: socketPath };
  }
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

/** Whether an address is a unix socket. */
export function isUnixAddress(address: ListenAddress): address is UnixListenAddress {
  return "path" in address;
}

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
