/**
 * The rig.v1.LockService handlers over one LockTable, the InitOnce of each resource and
 * the operation log. A lock lives exactly as long as its Acquire stream: release, the end
 * of the stream, a client that dies (its socket closes) or rigd stopping all end it, and
 * each is recorded.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { durationFromMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import {
  HolderSchema,
  LockMode,
  LockService,
  type AcquireRequest,
  type AcquireResponseSchema,
  type DeclareRequest,
  type DeclareResponseSchema,
  type Holder,
  type LockEntry,
} from "../gen/rig/v1/lock_service_pb.js";
import { abortable } from "../async/abortable.js";
import { resourceNameProblem, type ResourceLocks } from "../contract/resource-locks.js";
import { createEnvironmentLocks } from "./environment-locks.js";
import { InitOnce } from "./init-once.js";
import { LockTable, type LockTicket } from "./lock-table.js";
import { OperationLog, operationLogFile, readOperationLog, type HolderRecord, type OperationRecord } from "./operation-log.js";

type DeclareResponse = MessageInitShape<typeof DeclareResponseSchema>;
type AcquireResponse = MessageInitShape<typeof AcquireResponseSchema>;

/** Most resources one Acquire may name. */
const MAX_RESOURCES = 64;

/** The lock service of one rigd: its handlers and its shutdown. */
export interface LockServer {
  readonly impl: ServiceImpl<typeof LockService>;
  /** The same lock table for environments whose services require resources. */
  readonly environments: ResourceLocks;
  /** Live locks (held or waiting) and running inits: rigd is not idle while there are any. */
  readonly busy: () => boolean;
  /** Records server.stop; open streams end as rigd closes them. */
  close(): void;
}

/** Builds the lock service, its log in RIG_DIR/locks (rotated past `logBytes`). */
export function createLockServer(rigDir: string, logger: Logger, options: { logBytes?: number } = {}): LockServer {
  const log = logger.child({ component: "locks" });
  const table = new LockTable();
  const inits = new Map<string, InitOnce>();
  const opLog = new OperationLog(operationLogFile(rigDir), options.logBytes);
  const keysFile = join(rigDir, "locks", "init-keys.json");
  const doneKeys = new Set<string>(existsSync(keysFile) ? (JSON.parse(readFileSync(keysFile, "utf8")) as string[]) : []);
  let liveStreams = 0;
  opLog.record({ op: "server.start", detail: `pid ${process.pid}` });

  const initOf = (name: string): InitOnce => {
    let init = inits.get(name);
    if (!init) inits.set(name, (init = new InitOnce()));
    return init;
  };

  async function* declare(requests: AsyncIterable<DeclareRequest>, ctx: HandlerContext): AsyncGenerator<DeclareResponse> {
    const input = requests[Symbol.asyncIterator]();
    const first = await nextOrAbort(input, ctx.signal);
    if (first?.kind.case !== "declare") throw new ConnectError("the first message of Declare must be declare", Code.InvalidArgument);
    const req = first.kind.value;
    checkName(req.resource);
    const holder = holderRecord(req.holder);
    const entry = table.declare(req.resource, req.maxParallelism);
    const resources = [req.resource];
    opLog.record({ op: "declare", resources, holder, detail: `max parallelism ${entry.maxParallelism}${req.hasInit ? ", with init" : ""}` });
    const init = initOf(req.resource);
    if (req.initKey && doneKeys.has(req.initKey) && init.state !== "done") init.markDone();
    if (!req.hasInit) {
      yield ready(entry.maxParallelism, false);
      return;
    }
    liveStreams++;
    try {
      for (;;) {
        const turn = await init.takeTurn(ctx.signal);
        if (turn === "done") {
          yield ready(entry.maxParallelism, false);
          return;
        }
        opLog.record({ op: "init.start", resources, holder, detail: `attempt ${init.attempts + 1}` });
        const started = Date.now();
        yield { kind: { case: "runInit", value: { previousAttempts: init.attempts } } };
        let answer: DeclareRequest | undefined;
        try {
          answer = await nextOrAbort(input, ctx.signal);
        } catch {
          answer = undefined;
        }
        const durationMs = Date.now() - started;
        if (answer?.kind.case !== "initDone") {
          opLog.record({ op: "init.abandoned", resources, holder, durationMs, detail: "the declarer went away before its init finished" });
          init.finish(false);
          return;
        }
        if (answer.kind.value.error) {
          opLog.record({ op: "init.failed", resources, holder, durationMs, detail: answer.kind.value.error });
          init.finish(false);
          throw new ConnectError(`init of ${req.resource} failed: ${answer.kind.value.error}`, Code.Aborted);
        }
        opLog.record({ op: "init.done", resources, holder, durationMs });
        if (req.initKey) {
          doneKeys.add(req.initKey);
          writeFileSync(keysFile, JSON.stringify([...doneKeys]), { mode: 0o600 });
        }
        init.finish(true);
        yield ready(entry.maxParallelism, true);
        return;
      }
    } finally {
      liveStreams--;
    }
  }

  async function* acquire(requests: AsyncIterable<AcquireRequest>, ctx: HandlerContext): AsyncGenerator<AcquireResponse> {
    const input = requests[Symbol.asyncIterator]();
    const first = await nextOrAbort(input, ctx.signal);
    if (first?.kind.case !== "lock") throw new ConnectError("the first message of Acquire must be lock", Code.InvalidArgument);
    const req = first.kind.value;
    if (req.resources.length === 0) throw new ConnectError("lock names no resource", Code.InvalidArgument);
    if (req.resources.length > MAX_RESOURCES) throw new ConnectError(`lock names ${req.resources.length} resources; at most ${MAX_RESOURCES}`, Code.InvalidArgument);
    req.resources.forEach(checkName);
    const mode = req.mode === LockMode.SHARED ? LockMode.SHARED : LockMode.EXCLUSIVE;
    const holder = holderRecord(req.holder);
    const modeName = mode === LockMode.SHARED ? "shared" : "exclusive";
    liveStreams++;
    const ticket = table.request(req.resources, mode, req.holder);
    const base = { resources: ticket.resources, mode: modeName, holder, lockId: ticket.id } as const;
    let ended: "released" | "expired" = "expired";
    let why = "the stream ended without release";
    try {
      if (ticket.state === "waiting") {
        const ahead = table.ahead(ticket);
        opLog.record({ op: "acquire.wait", ...base, detail: `${ahead} ahead` });
        yield { kind: { case: "queued", value: { ahead } } };
        await abortable(ticket.granted, ctx.signal);
      }
      const waited = (ticket.grantedAt ?? Date.now()) - ticket.requestedAt;
      opLog.record({ op: "acquire", ...base, durationMs: waited });
      yield { kind: { case: "acquired", value: { lockId: ticket.id, waited: durationFromMs(waited) } } };
      const next = await nextOrAbort(input, ctx.signal).catch(() => undefined);
      if (next?.kind.case === "release") {
        ended = "released";
        const held = Date.now() - (ticket.grantedAt ?? Date.now());
        table.finish(ticket);
        opLog.record({ op: "release", ...base, durationMs: held });
        yield { kind: { case: "released", value: { held: durationFromMs(held) } } };
      }
    } catch (err) {
      why = ctx.signal.aborted ? "the holder went away (stream cancelled)" : String(err);
      if (ticket.state === "waiting") why = `gave up waiting: ${why}`;
      throw err;
    } finally {
      liveStreams--;
      if (ended === "expired") {
        const wasHeld = ticket.state === "held";
        const durationMs = Date.now() - (ticket.grantedAt ?? ticket.requestedAt);
        table.finish(ticket);
        opLog.record({ op: wasHeld ? "expire" : "acquire.cancel", ...base, durationMs, detail: why });
        log.debug({ lock: ticket.id, resources: ticket.resources, why }, wasHeld ? "lock expired" : "lock request cancelled");
      }
    }
  }

  const impl: ServiceImpl<typeof LockService> = {
    declare,
    acquire,
    listLocks() {
      const waiting = table.waiting();
      return {
        resources: table.list().map((r) => ({
          name: r.name,
          maxParallelism: r.maxParallelism,
          initState: inits.get(r.name)?.state ?? "none",
          holders: [...r.holders].map((t) => lockEntry(t, r.name, t.grantedAt ?? t.requestedAt)),
          waiters: waiting.filter((t) => t.resources.includes(r.name)).map((t) => lockEntry(t, r.name, t.requestedAt)),
        })),
      };
    },
    getLockLog(req) {
      let records: OperationRecord[];
      try {
        records = readOperationLog(opLog.file, { resource: req.resource, operations: req.operations });
      } catch (err) {
        throw new ConnectError((err as Error).message, Code.InvalidArgument);
      }
      return {
        operations: records.map((r) => ({
          seq: BigInt(r.seq),
          time: timestampFromMs(Date.parse(r.time)),
          op: r.op,
          resources: [...(r.resources ?? [])],
          mode: r.mode === "shared" ? LockMode.SHARED : r.mode === "exclusive" ? LockMode.EXCLUSIVE : LockMode.UNSPECIFIED,
          holder: r.holder ? create(HolderSchema, r.holder) : undefined,
          lockId: r.lockId ?? "",
          detail: r.detail ?? "",
          ...(r.durationMs !== undefined ? { duration: durationFromMs(r.durationMs) } : {}),
        })),
      };
    },
  };

  return {
    impl,
    environments: createEnvironmentLocks(table, opLog),
    busy: () => liveStreams > 0,
    close() {
      opLog.record({ op: "server.stop", detail: `pid ${process.pid}` });
    },
  };
}

function ready(maxParallelism: number, initializedHere: boolean): DeclareResponse {
  return { kind: { case: "ready", value: { maxParallelism, initializedHere } } };
}

/** A ticket as listed under one of its resources (with its mode on that resource). */
function lockEntry(t: LockTicket, resource: string, since: number): LockEntry {
  return {
    lockId: t.id,
    mode: t.modes.get(resource) ?? t.mode,
    resources: [...t.resources],
    holder: t.holder,
    since: timestampFromMs(since),
  } as LockEntry;
}

function holderRecord(h: Holder | undefined): HolderRecord | undefined {
  if (!h) return undefined;
  return {
    ...(h.testName ? { testName: h.testName } : {}),
    ...(h.pid ? { pid: h.pid } : {}),
    ...(h.language ? { language: h.language } : {}),
    ...(h.location ? { location: h.location } : {}),
    ...(h.environmentId ? { environmentId: h.environmentId, service: h.service } : {}),
  };
}

function checkName(name: string): void {
  const problem = resourceNameProblem(name);
  if (problem) throw new ConnectError(problem, Code.InvalidArgument);
}

/** The next message of a stream, or undefined at its end; rejects once `signal` aborts. */
async function nextOrAbort<T>(input: AsyncIterator<T>, signal: AbortSignal): Promise<T | undefined> {
  const next = await abortable(input.next(), signal);
  return next.done ? undefined : next.value;
}
