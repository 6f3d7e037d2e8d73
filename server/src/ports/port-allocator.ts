/**
 * Hands out free loopback ports without collisions across the concurrent
 * environments of one rigd.
 *
 * Ports are picked below the kernel's ephemeral range, so outgoing connections
 * (readiness probes, proxies) can never be assigned a port we promised to a service
 * that has not bound it yet; each candidate is test-bound before it is handed out and
 * stays reserved until released.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The kernel's ephemeral port range (Linux), or the IANA default elsewhere. */
function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // not Linux
  }
  return [49152, 65535];
}

function canBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export class PortAllocator {
  private readonly reserved = new Set<number>();
  private readonly low: number;
  private readonly high: number;

  constructor(
    private readonly host = "127.0.0.1",
    range?: [number, number],
  ) {
    if (range) {
      [this.low, this.high] = range;
    } else {
      const [ephemeralLow] = ephemeralRange();
      // Below the ephemeral range; fall back to a high window when that range starts low.
      [this.low, this.high] = ephemeralLow > 20000 ? [15000, ephemeralLow - 1] : [50000, 59999];
    }
  }

  /** A free port, reserved until release(). */
  async allocate(): Promise<number> {
    for (let attempt = 0; attempt < 200; attempt++) {
      const port = this.low + Math.floor(Math.random() * (this.high - this.low + 1));
      if (this.reserved.has(port)) continue;
      this.reserved.add(port);
      if (await canBind(port, this.host)) return port;
      this.reserved.delete(port);
    }
    throw new Error(`no free port found in ${this.low}-${this.high} after 200 attempts`);
  }

  /** Returns a port to the pool. */
  release(port: number): void {
    this.reserved.delete(port);
  }

  /** Ports currently reserved (for tests and diagnostics). */
  get reservedCount(): number {
    return this.reserved.size;
  }
}
