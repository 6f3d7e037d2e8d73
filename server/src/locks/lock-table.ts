/**
 * The lock table: which resources exist, who holds them and who waits, in what order.
 * Pure state, no I/O: the Connect handlers (lock-service.ts) drive it and the operation
 * log records what it decides.
 *
 * A request names one or more resources and a mode. It is granted all at once or not at
 * all (nothing is held while waiting, so {a,b} and {b,a} can never deadlock), and waiting
 * is FIFO per resource: a request waits while an earlier waiting request touches one of
 * its resources, so a waiting exclusive blocks new shared holders and nobody starves.
 */
import { LockMode } from "../gen/rig/v1/lock_service_pb.js";
import type { Holder } from "../gen/rig/v1/lock_service_pb.js";

/** rsmap's default: shared holders of one resource at once. */
export const DEFAULT_MAX_PARALLELISM = 5;

/** One named resource. */
export interface ResourceEntry {
  readonly name: string;
  maxParallelism: number;
  readonly holders: Set<LockTicket>;
}

/** One lock request, waiting or held. */
export interface LockTicket {
  readonly id: string;
  /** Sorted, deduplicated. */
  readonly resources: readonly string[];
  /** Exclusive when any resource is taken exclusively. */
  readonly mode: LockMode;
  /** The mode on each resource (an environment's service may mix them). */
  readonly modes: ReadonlyMap<string, LockMode>;
  readonly holder: Holder | undefined;
  readonly requestedAt: number;
  grantedAt?: number;
  state: "waiting" | "held" | "done";
  /** Settles when the ticket is granted. */
  readonly granted: Promise<void>;
}

interface TicketInternal extends LockTicket {
  resolveGranted(): void;
}

/** Resources, their holders and the queue of waiting requests. */
export class LockTable {
  private readonly resources = new Map<string, ResourceEntry>();
  private readonly queue: TicketInternal[] = [];
  private nextId = 1;

  /** The resource, declared with the default max parallelism when new. */
  resource(name: string): ResourceEntry {
    let entry = this.resources.get(name);
    if (!entry) {
      entry = { name, maxParallelism: DEFAULT_MAX_PARALLELISM, holders: new Set() };
      this.resources.set(name, entry);
    }
    return entry;
  }

  /** Declares a resource; the first declaration with a max parallelism wins. Returns it. */
  declare(name: string, maxParallelism: number): ResourceEntry {
    const known = this.resources.has(name);
    const entry = this.resource(name);
    if (!known && maxParallelism > 0) entry.maxParallelism = maxParallelism;
    return entry;
  }

  /** Every resource, by name. */
  list(): ResourceEntry[] {
    return [...this.resources.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Requests still waiting, oldest first. */
  waiting(): readonly LockTicket[] {
    return this.queue;
  }

  /** Queues a request and grants it at once when nothing stands in its way. */
  request(resources: readonly string[], mode: LockMode, holder: Holder | undefined, now = Date.now()): LockTicket {
    return this.requestEach(new Map(resources.map((name) => [name, mode])), holder, now);
  }

  /** Like request, with a mode per resource. */
  requestEach(modes: ReadonlyMap<string, LockMode>, holder: Holder | undefined, now = Date.now()): LockTicket {
    const names = [...modes.keys()].sort();
    let resolveGranted!: () => void;
    const granted = new Promise<void>((resolve) => (resolveGranted = resolve));
    const ticket: TicketInternal = {
      id: `L${this.nextId++}`,
      resources: names,
      mode: [...modes.values()].includes(LockMode.EXCLUSIVE) ? LockMode.EXCLUSIVE : LockMode.SHARED,
      modes,
      holder,
      requestedAt: now,
      state: "waiting",
      granted,
      resolveGranted,
    };
    for (const name of names) this.resource(name);
    this.queue.push(ticket);
    this.pump(now);
    return ticket;
  }

  /** The requests in the way of a waiting one: holders of its resources, then earlier waiters. */
  blockers(ticket: LockTicket): { holders: LockTicket[]; waiting: LockTicket[] } {
    const holders = new Set<LockTicket>();
    for (const name of ticket.resources) for (const h of this.resource(name).holders) holders.add(h);
    const waiting: LockTicket[] = [];
    for (const other of this.queue) {
      if (other === ticket) break;
      if (other.resources.some((r) => ticket.resources.includes(r))) waiting.push(other);
    }
    return { holders: [...holders], waiting };
  }

  /** How many requests stand in the way of this one (holders and earlier waiters). */
  ahead(ticket: LockTicket): number {
    const { holders, waiting } = this.blockers(ticket);
    return holders.length + waiting.length;
  }

  /** Ends a request, waiting or held; grants whatever it was blocking. */
  finish(ticket: LockTicket, now = Date.now()): void {
    const t = ticket as TicketInternal;
    if (t.state === "done") return;
    if (t.state === "waiting") {
      const i = this.queue.indexOf(t);
      if (i >= 0) this.queue.splice(i, 1);
    } else {
      for (const name of t.resources) this.resources.get(name)?.holders.delete(t);
    }
    t.state = "done";
    this.pump(now);
  }

  /** Grants, in FIFO order per resource, every waiting request that can run now. */
  private pump(now: number): void {
    const blocked = new Set<string>();
    for (let i = 0; i < this.queue.length; ) {
      const t = this.queue[i]!;
      if (!t.resources.some((r) => blocked.has(r)) && this.fits(t)) {
        this.queue.splice(i, 1);
        t.state = "held";
        t.grantedAt = now;
        for (const name of t.resources) this.resource(name).holders.add(t);
        t.resolveGranted();
        continue;
      }
      for (const r of t.resources) blocked.add(r);
      i++;
    }
  }

  private fits(t: LockTicket): boolean {
    return t.resources.every((name) => {
      const { holders, maxParallelism } = this.resource(name);
      if (t.modes.get(name) === LockMode.EXCLUSIVE) return holders.size === 0;
      if (holders.size >= maxParallelism) return false;
      for (const h of holders) if (h.modes.get(name) === LockMode.EXCLUSIVE) return false;
      return true;
    });
  }
}
