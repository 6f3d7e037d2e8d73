/**
 * The TCP addresses a process group listens on, read from /proc (Linux). Used to explain
 * a readiness timeout: a service that listens, but on another port than the one rig gave
 * it, is the most common cause and the hardest to see from the outside.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { procStatFields } from "./proc-stat.js";

/** Pids of the live processes in process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return members; // no /proc: nothing to tell
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = procStatFields(entry); // undefined: raced with exit, or not ours to read
    if (fields && Number(fields[2]) === pgid && fields[0] !== "Z") members.push(Number(entry));
  }
  return members;
}

/** Socket inodes held open by `pid`. */
function socketInodes(pid: number, into: Set<string>): void {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) into.add(match[1] as string);
    } catch {
      // closed meanwhile
    }
  }
}

/** `0100007F` (little-endian IPv4) or 32 hex digits (IPv6, four little-endian words). */
function decodeAddress(hex: string): string {
  if (hex.length === 8) return [6, 4, 2, 0].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(".");
  const bytes: string[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    for (const i of [6, 4, 2, 0]) bytes.push(w.slice(i, i + 2));
  }
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! + bytes[i + 1]!).replace(/^0+(?=.)/, "").toLowerCase());
  const text = groups.join(":");
  if (text === "0:0:0:0:0:0:0:0") return "[::]";
  if (text === "0:0:0:0:0:0:0:1") return "[::1]";
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(text);
  if (mapped) {
    const n = (parseInt(mapped[1]!, 16) << 16) | parseInt(mapped[2]!, 16);
    return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join(".");
  }
  return `[${text}]`;
}

/** `host:port` of every TCP socket in LISTEN state that the process group holds, sorted. */
export function listeningAddresses(pgid: number): string[] {
  const inodes = new Set<string>();
  for (const pid of processGroupMembers(pgid)) socketInodes(pid, inodes);
  if (inodes.size === 0) return [];
  const found = new Set<string>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (cols.length < 10 || cols[3] !== "0A" || !inodes.has(cols[9] as string)) continue;
      const [addr, port] = (cols[1] as string).split(":");
      found.add(`${decodeAddress(addr as string)}:${parseInt(port as string, 16)}`);
    }
  }
  return [...found].sort();
}
