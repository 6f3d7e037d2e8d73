/**
 * Resource locks across test processes and languages, served by rigd's LockService:
 *
 * ```ts
 * const db = rig.resource("user-db", { maxParallelism: 2, init: async () => migrate() });
 * await using lock = await db.lock();     // exclusive
 * await using shared = await db.rlock();  // shared, up to maxParallelism holders
 * await using both = await rig.lockAll([db, cache]);
 * ```
 * A lock is held while its stream to rigd is open: `release()` (or `await using`, or
 * `t.after` with the `t` option) ends it, and so does the process dying. If rigd goes
 * away while a lock is held, `lost` settles and `assertHeld()` throws: never silently. A
 * lock still waiting when rigd goes away asks the next rigd (found or started as usual,
 * the resource declared again) instead of failing.
 */
import { create } from "@bufbuild/protobuf";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectRigd, isServing, type DaemonOptions } from "../daemon/auto-start.js";
import type { RigApi } from "../api/rig-api.js";
import { RigError } from "../errors.js";
import {
  AcquireRequestSchema,
  DeclareRequestSchema,
  LockMode,
  type AcquireRequest,
  type AcquireResponse,
  type DeclareRequest,
  type Holder,
} from "../gen/rig/v1/lock_service_pb.js";
import type { TestContextLike } from "../test-runner/test-context.js";
import { RequestQueue } from "./request-queue.js";

/** How a resource is declared. */
export interface ResourceOptions extends DaemonOptions {
  /** Shared holders at once (default 5); the first declaration in rigd wins. */
  readonly maxParallelism?: number;
  /** Run once across every process that declares the resource; the others wait for it. */
  readonly init?: () => unknown;
  /** Remember init success under this key across rigd restarts (default: for rigd's life). */
  readonly initKey?: string;
}

/** How to wait for a lock. */
export interface LockOptions {
  /** Give up waiting (the error is the signal's reason). */
  readonly signal?: AbortSignal;
  /** node:test / vitest context: its name is recorded, and the lock is released when the test ends. */
  readonly t?: TestContextLike;
  /** Shared instead of exclusive (lockAll). */
  readonly shared?: boolean;
}

/** A lock lost because rigd went away (or ended the stream) while it was held. */
export class RigLockLostError extends RigError {}

/** A lock call failed because its rigd is gone (killed, stopping, unreachable). */
class RigdWentAway extends RigError {
  constructor(
    message: string,
    readonly api: RigApi,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Rethrows a failed lock call's error, as RigdWentAway when its rigd is gone. */
async function failed(api: RigApi, err: unknown, what: string): Promise<never> {
  if (!(err instanceof RigError) && (await wentAway(api, err))) {
    throw new RigdWentAway(`rig: ${what}: ${(err as Error).message} (rigd went away)`, api, { cause: err });
  }
  throw err;
}

/** How many times a waiting lock goes to the next rigd after its own went away, and the pause before each try (times the attempt). */
const RIGD_RECONNECTS = 5;
const RIGD_RECONNECT_PAUSE_MS = 200;

/**
 * Whether a failed lock call means its rigd is gone rather than that it refused: a
 * dropped connection surfaces under several codes, so anything else asks rigd's health.
 */
async function wentAway(api: RigApi, err: unknown): Promise<boolean> {
  if (ConnectError.from(err).code === Code.Unavailable) return true;
  return !(await isServing(api));
}

/** A held lock on one or more resources. */
export class HeldLock implements AsyncDisposable {
  private released = false;
  private lostError: Error | undefined;
  /** Settles with the error when the lock is lost while held; never settles otherwise. */
  readonly lost: Promise<Error>;
  private resolveLost!: (err: Error) => void;

  constructor(
    readonly id: string,
    readonly resources: readonly string[],
    readonly mode: "exclusive" | "shared",
    private readonly requests: RequestQueue<AcquireRequest>,
    private readonly responses: AsyncIterator<AcquireResponse>,
    private readonly api: RigApi,
  ) {
    this.lost = new Promise((resolve) => (this.resolveLost = resolve));
    void this.lost.catch(() => {});
  }

  /** Whether release was called or the lock was lost. */
  get held(): boolean {
    return !this.released && !this.lostError;
  }

  /** Throws when the lock is no longer held (lost to a rigd restart). */
  assertHeld(): void {
    if (this.lostError) throw this.lostError;
  }

  /** @internal Watches the stream: anything but our own release means the lock is lost. */
  watch(): void {
    this.responses.next().then(
      (r) => {
        if (!this.released) this.markLost(new RigLockLostError(`rig: lock on ${this.resources.join(", ")} lost: rigd ended the stream${r.done ? "" : ` (${r.value.kind.case})`}`));
      },
      async (err: unknown) => {
        if (this.released) return;
        const gone = await wentAway(this.api, err);
        const why = `${gone ? "rigd went away (killed or stopped; the lock is gone with it, take it again): " : ""}${(err as Error).message}`;
        if (!this.released) this.markLost(new RigLockLostError(`rig: lock on ${this.resources.join(", ")} lost: ${why}`, { cause: err }));
      },
    );
  }

  private markLost(err: Error): void {
    this.lostError = err;
    this.resolveLost(err);
  }

  /** Releases the lock (idempotent); resolves once rigd has let it go. */
  async release(): Promise<void> {
    if (this.released || this.lostError) return;
    this.released = true;
    this.requests.push(create(AcquireRequestSchema, { kind: { case: "release", value: {} } }));
    this.requests.end();
    forget(this);
    // The stream's connection is unref'd: keep the process alive until rigd confirms.
    const keepAlive = setInterval(() => {}, 1 << 30);
    try {
      // The watcher above consumes "released"; wait for the end of the stream.
      for (;;) if ((await this.responses.next()).done) break;
    } catch {
      // The stream failing after release still released the lock.
    } finally {
      clearInterval(keepAlive);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}

const heldLocks = new Set<HeldLock>();
function forget(lock: HeldLock): void {
  heldLocks.delete(lock);
}

/** A named resource shared by test processes, declared (and initialized) once. */
export class Resource {
  private declared: Promise<RigApi> | undefined;
  private declaredOn: RigApi | undefined;

  constructor(
    readonly name: string,
    private readonly options: ResourceOptions = {},
  ) {}

  /** Declares the resource in rigd and runs or waits for its init; lock() does it first. */
  declare(): Promise<RigApi> {
    if (!this.declared) {
      const declared = declareResource(this.name, this.options, callerLocation());
      this.declared = declared;
      declared.then(
        (api) => (this.declaredOn = api),
        // A failed declare (init failed) is tried again by the next call.
        () => {
          if (this.declared === declared) this.declared = undefined;
        },
      );
    }
    return this.declared;
  }

  /** Drops the declaration made in `api`'s rigd (it went away): the next lock declares again. */
  forget(api: RigApi): void {
    if (this.declaredOn !== api) return;
    this.declared = undefined;
    this.declaredOn = undefined;
  }

  /** An exclusive lock: nobody else holds the resource until it is released. */
  async lock(options: LockOptions = {}): Promise<HeldLock> {
    return acquire([this], LockMode.EXCLUSIVE, options, callerLocation());
  }

  /** A shared lock, together with up to maxParallelism - 1 other holders. */
  async rlock(options: LockOptions = {}): Promise<HeldLock> {
    return acquire([this], LockMode.SHARED, options, callerLocation());
  }

  /** Releases every lock this process holds on the resource. */
  async unlock(): Promise<void> {
    await Promise.all([...heldLocks].filter((l) => l.resources.includes(this.name)).map((l) => l.release()));
  }
}

/** Locks several resources at once, atomically (exclusive unless `shared`). */
export async function lockAll(resources: readonly Resource[], options: LockOptions = {}): Promise<HeldLock> {
  if (resources.length === 0) throw new RigError("rig.lockAll: no resources");
  return acquire(resources, options.shared ? LockMode.SHARED : LockMode.EXCLUSIVE, options, callerLocation());
}

function holderFor(location: string, t: TestContextLike | undefined): Holder {
  return { testName: t?.name ?? t?.task?.name ?? "", pid: process.pid, language: "ts", location } as Holder;
}

async function acquire(resources: readonly Resource[], mode: LockMode, options: LockOptions, location: string): Promise<HeldLock> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await acquireOnce(resources, mode, options, location);
    } catch (err) {
      if (!(err instanceof RigdWentAway) || attempt > RIGD_RECONNECTS || options.signal?.aborted) throw err;
      for (const r of resources) r.forget(err.api);
      await sleep(RIGD_RECONNECT_PAUSE_MS * attempt, undefined, { signal: options.signal });
    }
  }
}

/** Asks one rigd for the lock; throws RigdWentAway when that rigd went away meanwhile. */
async function acquireOnce(resources: readonly Resource[], mode: LockMode, options: LockOptions, location: string): Promise<HeldLock> {
  const apis = await Promise.all(resources.map((r) => r.declare()));
  const api = apis[0]!;
  const names = resources.map((r) => r.name);
  const requests = new RequestQueue<AcquireRequest>();
  requests.push(create(AcquireRequestSchema, { kind: { case: "lock", value: { resources: names, mode, holder: holderFor(location, options.t) } } }));
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onAbort, { once: true });
  // The stream runs on an unref'd connection (a held lock never keeps a finished process
  // alive); while waiting, this timer keeps the process alive instead.
  const keepAlive = setInterval(() => {}, 1 << 30);
  const responses = api.backgroundLocks.acquire(requests, { signal: abort.signal })[Symbol.asyncIterator]();
  try {
    for (;;) {
      const r = await responses.next();
      if (r.done) throw new RigdWentAway(`rig: rigd ended the lock request on ${names.join(", ")}`, api);
      if (r.value.kind.case !== "acquired") continue;
      const lock = new HeldLock(r.value.kind.value.lockId, names, mode === LockMode.SHARED ? "shared" : "exclusive", requests, responses, api);
      lock.watch();
      heldLocks.add(lock);
      options.t?.after?.(() => lock.release());
      options.t?.onTestFinished?.(() => lock.release());
      return lock;
    }
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason;
    return failed(api, err, `locking ${names.join(", ")}`);
  } finally {
    clearInterval(keepAlive);
    options.signal?.removeEventListener("abort", onAbort);
  }
}

async function declareResource(name: string, options: ResourceOptions, location: string): Promise<RigApi> {
  const api = await connectRigd(options);
  const requests = new RequestQueue<DeclareRequest>();
  requests.push(
    create(DeclareRequestSchema, {
      kind: {
        case: "declare",
        value: {
          resource: name,
          maxParallelism: options.maxParallelism ?? 0,
          hasInit: options.init !== undefined,
          initKey: options.initKey ?? "",
          holder: holderFor(location, undefined),
        },
      },
    }),
  );
  try {
    for await (const r of api.locks.declare(requests)) {
      if (r.kind.case === "runInit") {
        let error = "";
        try {
          await options.init!();
        } catch (err) {
          error = err instanceof Error ? err.message || String(err) : String(err);
        }
        requests.push(create(DeclareRequestSchema, { kind: { case: "initDone", value: { error } } }));
        if (error) continue;
      } else if (r.kind.case === "ready") {
        break;
      }
    }
  } catch (err) {
    return failed(api, err, `declaring ${name}`);
  } finally {
    requests.end();
  }
  return api;
}

/** file:line of the test code that called into this module. */
function callerLocation(): string {
  const frames = (new Error().stack ?? "").split("\n").slice(1);
  const self = import.meta.url.replace(/^file:\/\//, "");
  const frame = frames.find((f) => !f.includes(self) && !f.includes("node:internal") && !f.includes("/clients/ts/dist/locks/") && !f.includes("/clients/ts/src/locks/"));
  const match = frame?.match(/\(?((?:file:\/\/)?[^()\s]+:\d+):\d+\)?$/);
  return match ? match[1]!.replace(/^file:\/\//, "") : "";
}
