/**
 * Pools separate "one backend per key" from "one lease per environment" (SPEC §2).
 *
 * A Backend (e.g. a Postgres container for one image) is started on the first acquire
 * of its key and shared; each acquire gets a Lease (e.g. its own database). When the
 * last lease of a backend is released an idle timer starts, and the backend is stopped
 * when nobody acquires it before the timer fires. A failed start does not poison the
 * key (the next acquire starts afresh), a backend that dies is forgotten, and
 * closeAll() stops everything at rigd shutdown.
 */
import type { Logger } from "pino";
import { abortable } from "../async/abortable.js";

/** A pooled resource of one key. */
export interface Backend<TInfo, TRequest, TLeaseData> {
  /** Brings the backend up; called once per backend. Cleans up after itself on failure. */
  start(signal: AbortSignal): Promise<TInfo>;
  /** Tears the backend down; called after start settled (success or failure), exactly once. */
  stop(): Promise<void>;
  /** Creates one environment's isolation inside the running backend (a database, a db number). */
  newLease(info: TInfo, request: TRequest, signal: AbortSignal): Promise<TLeaseData>;
  /** Undoes newLease (drop, flush). Errors are logged, never block a release. */
  dropLease(info: TInfo, lease: TLeaseData): Promise<void>;
  /** Resolves (with why) if the running backend dies on its own. Optional. */
  died?(info: TInfo): Promise<string>;
}

/** One environment's claim on a shared backend. */
export interface Lease<TInfo, TLeaseData> {
  readonly key: string;
  /** What the backend's start returned (address, container, ...). */
  readonly backend: TInfo;
  /** What newLease returned (database name, db number, ...). */
  readonly data: TLeaseData;
  /** Drops the lease's isolation and returns the claim. Idempotent; never rejects. */
  release(): Promise<void>;
}

/** How a pool behaves. */
export interface PoolOptions<TInfo, TRequest, TLeaseData> {
  /** For logs and errors, e.g. `postgres`. */
  readonly name: string;
  /** Makes the backend of a key (called on first use and after a failed or stopped backend). */
  readonly create: (key: string) => Backend<TInfo, TRequest, TLeaseData>;
  /** How long a backend with no leases lives on. */
  readonly idleMs: number;
  readonly log?: Logger;
}

/** Thrown by acquire after closeAll. */
export class PoolClosedError extends Error {
  constructor(pool: string) {
    super(`the ${pool} pool is shut down`);
    this.name = "PoolClosedError";
  }
}

interface Slot<TInfo, TRequest, TLeaseData> {
  readonly key: string;
  readonly backend: Backend<TInfo, TRequest, TLeaseData>;
  readonly controller: AbortController;
  readonly starting: Promise<TInfo>;
  /** Pending acquires plus live leases: the backend is busy while > 0. */
  users: number;
  idle: NodeJS.Timeout | undefined;
  /** Set once the slot is retired: no new leases, releases skip dropLease. */
  stopping: Promise<void> | undefined;
}

/** A pool of backends keyed by string (an image), handing out leases. */
export class Pool<TInfo, TRequest, TLeaseData> {
  private readonly slots = new Map<string, Slot<TInfo, TRequest, TLeaseData>>();
  /** Backends being stopped, by key: a new backend for the key waits for them (names, ports). */
  private readonly retiring = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly options: PoolOptions<TInfo, TRequest, TLeaseData>) {}

  /**
   * A lease on the backend of `key`, starting the backend when none runs. `signal` only
   * stops this caller from waiting; a shared start goes on for the others.
   */
  async acquire(key: string, request: TRequest, signal: AbortSignal): Promise<Lease<TInfo, TLeaseData>> {
    if (this.closed) throw new PoolClosedError(this.options.name);
    signal.throwIfAborted();
    const slot = this.slots.get(key) ?? this.startSlot(key);
    slot.users++;
    clearTimeout(slot.idle);
    slot.idle = undefined;
    let data: TLeaseData;
    let info: TInfo;
    try {
      info = await abortable(slot.starting, signal);
      if (slot.stopping) throw new Error(`the ${this.options.name} backend for ${key} stopped while starting`);
      data = await slot.backend.newLease(info, request, signal);
    } catch (err) {
      this.unuse(slot);
      throw err;
    }
    let released: Promise<void> | undefined;
    return {
      key,
      backend: info,
      data,
      release: () => {
        released ??= (async () => {
          try {
            if (!slot.stopping) await slot.backend.dropLease(info, data);
          } catch (err) {
            this.options.log?.warn({ err, pool: this.options.name, key }, "dropping a lease failed");
          } finally {
            this.unuse(slot);
          }
        })();
        return released;
      },
    };
  }

  /** Keys with a live (starting or running) backend. */
  keys(): string[] {
    return [...this.slots.keys()];
  }

  /** Pending acquires plus live leases on the backend of `key` (0 when none runs). */
  users(key: string): number {
    return this.slots.get(key)?.users ?? 0;
  }

  /** Stops every backend (rigd shutdown); later acquires fail. Outstanding leases become no-ops. */
  async closeAll(): Promise<void> {
    this.closed = true;
    for (const slot of [...this.slots.values()]) this.retire(slot);
    await Promise.all([...this.retiring.values()]);
  }

  private startSlot(key: string): Slot<TInfo, TRequest, TLeaseData> {
    const backend = this.options.create(key);
    const controller = new AbortController();
    const previous = this.retiring.get(key) ?? Promise.resolve();
    const slot: Slot<TInfo, TRequest, TLeaseData> = {
      key,
      backend,
      controller,
      starting: previous.then(() => backend.start(controller.signal)),
      users: 0,
      idle: undefined,
      stopping: undefined,
    };
    this.slots.set(key, slot);
    slot.starting.then(
      (info) => {
        this.options.log?.info({ pool: this.options.name, key }, "backend started");
        void backend.died?.(info).then((why) => {
          if (slot.stopping) return;
          this.options.log?.warn({ pool: this.options.name, key, why }, "backend died; the next acquire starts a new one");
          this.retire(slot);
        });
      },
      (err: unknown) => {
        // Forget the failed backend so the next acquire starts afresh.
        this.options.log?.warn({ err, pool: this.options.name, key }, "backend failed to start");
        this.retire(slot);
      },
    );
    return slot;
  }

  private unuse(slot: Slot<TInfo, TRequest, TLeaseData>): void {
    slot.users--;
    if (slot.users > 0 || slot.stopping || this.closed) return;
    slot.idle = setTimeout(() => {
      if (slot.users === 0) this.retire(slot);
    }, this.options.idleMs);
    // The timer must not keep rigd alive; closeAll stops the backend on shutdown.
    slot.idle.unref();
  }

  private retire(slot: Slot<TInfo, TRequest, TLeaseData>): void {
    if (slot.stopping) return;
    clearTimeout(slot.idle);
    if (this.slots.get(slot.key) === slot) this.slots.delete(slot.key);
    slot.controller.abort(new Error(`the ${this.options.name} backend for ${slot.key} is being stopped`));
    const before = this.retiring.get(slot.key) ?? Promise.resolve();
    const stopping = (async () => {
      await before;
      await slot.starting.catch(() => undefined);
      try {
        await slot.backend.stop();
      } catch (err) {
        this.options.log?.warn({ err, pool: this.options.name, key: slot.key }, "stopping a backend failed");
      }
    })();
    slot.stopping = stopping;
    this.retiring.set(slot.key, stopping);
    void stopping.then(() => {
      if (this.retiring.get(slot.key) === stopping) this.retiring.delete(slot.key);
    });
  }
}
