/**
 * Lock metrics, derived from the lock service's operation log (RIG_DIR/locks/
 * operations.jsonl, one JSON record a line): acquisitions that had to queue, and the
 * seconds each acquisition waited. Only records written after this rigd started count;
 * the file is read on from the last offset at every scrape (the first one included: the
 * metrics are built then, lazy-registry.ts).
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { LazyRegistry, Prom } from "./lazy-registry.js";

export class LockMetrics {
  #offset: number;
  #partial = "";
  #waits: InstanceType<Prom["Counter"]> | undefined;
  #waited: InstanceType<Prom["Histogram"]> | undefined;

  constructor(
    registry: LazyRegistry,
    private readonly file: string,
  ) {
    this.#offset = sizeOf(file);
    const self = this;
    registry.add((prom, registers) => {
      this.#waits = new prom.Counter({
        name: "rig_lock_waits_total",
        help: "Lock acquisitions that queued behind other holders",
        registers: [registers],
        collect() {
          self.sync();
        },
      });
      this.#waited = new prom.Histogram({
        name: "rig_lock_wait_seconds",
        help: "Seconds from asking for a lock to holding it",
        buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 30, 120],
        registers: [registers],
      });
    });
  }

  /** Reads the records appended since the last read (at collect, once the metrics are built). */
  sync(): void {
    let fd: number;
    try {
      fd = openSync(this.file, "r");
    } catch {
      return; // no lock used yet
    }
    try {
      const size = fstatSync(fd).size;
      if (size < this.#offset) this.#offset = 0; // replaced
      const buffer = Buffer.alloc(size - this.#offset);
      readSync(fd, buffer, 0, buffer.length, this.#offset);
      this.#offset = size;
      const lines = (this.#partial + buffer.toString("utf8")).split("\n");
      this.#partial = lines.pop() ?? "";
      for (const line of lines) this.#observe(line);
    } finally {
      closeSync(fd);
    }
  }

  #observe(line: string): void {
    let record: { op?: string; durationMs?: number };
    try {
      record = JSON.parse(line) as typeof record;
    } catch {
      return;
    }
    if (record.op === "acquire.wait") this.#waits?.inc();
    else if (record.op === "acquire" && typeof record.durationMs === "number") this.#waited?.observe(record.durationMs / 1000);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
