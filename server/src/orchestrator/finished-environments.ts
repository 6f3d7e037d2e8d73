/**
 * What rigd keeps of an environment once it is down and finalized: a summary in memory
 * (its last snapshot, encoded, and where its files are) and its events on disk. A
 * finished environment stays known for the retention time (GetEnvironment, GetLog,
 * WatchEvents, a repeated DestroyEnvironment), at most `max` of them and SUMMARY_BYTES of
 * summaries (a 1,000-service environment's is ~100 KiB), oldest first out;
 * its log is read back from `events.jsonl`, so memory does not grow with the events
 * of past runs.
 */
import { existsSync } from "node:fs";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { EnvironmentSchema, type Environment } from "../gen/rig/v1/environment_service_pb.js";
import type { EnvironmentDown, Event } from "../gen/rig/v1/event_pb.js";
import { EnvironmentNotFoundError } from "../contract/errors.js";
import { readEvents } from "../events/event-file.js";
import { type EventFilter, wanted } from "../events/event-filter.js";

/** Summaries kept at most, in bytes, whatever the count. */
export const SUMMARY_BYTES = 32 * 1024 * 1024;

/** How long a finished environment stays known by default (rigd --retention). */
export const DEFAULT_RETENTION_MS = 10 * 60_000;

/** The summary of one finished environment. */
export class FinishedEnvironment {
  /** The last snapshot, protobuf binary: a few hundred bytes instead of a tree of objects. */
  private readonly snapshotBytes: Uint8Array;
  readonly id: string;
  readonly lastSeq: bigint;

  constructor(
    snapshot: Environment,
    readonly eventLogPath: string,
    readonly logPath: string,
    readonly preserved: boolean,
    readonly finishedAt = Date.now(),
  ) {
    this.snapshotBytes = toBinary(EnvironmentSchema, snapshot);
    this.lastSeq = snapshot.lastSeq;
    this.id = snapshot.id;
  }

  /** Bytes of the encoded snapshot (what the summary costs). */
  get size(): number {
    return this.snapshotBytes.length;
  }

  snapshot(): Environment {
    return fromBinary(EnvironmentSchema, this.snapshotBytes);
  }

  get down(): EnvironmentDown {
    const down = this.snapshot().down;
    if (!down) throw new Error(`finished environment ${this.id} has no down record`);
    return down;
  }

  /**
   * Its events with seq > afterSeq, read from events.jsonl. Throws at once (not at the
   * first iteration) when the file is gone, so the caller gets a clear NOT_FOUND.
   */
  events(afterSeq: bigint, filter: EventFilter, signal?: AbortSignal): AsyncIterable<Event> {
    if (!existsSync(this.eventLogPath)) {
      throw new EnvironmentNotFoundError(
        this.id,
        `it finished and its event log ${this.eventLogPath} was removed (rigd --keep-logs / --max-logs, or by hand)`,
      );
    }
    return filterEvents(readEvents(this.eventLogPath, signal), afterSeq, filter);
  }
}

async function* filterEvents(events: AsyncIterable<Event>, afterSeq: bigint, filter: EventFilter): AsyncGenerator<Event> {
  for await (const event of events) {
    if (event.seq <= afterSeq || !wanted(filter, event.payload.case)) continue;
    yield event;
  }
}

/** The finished environments a rigd still knows, in the order they finished. */
export class FinishedEnvironments {
  private readonly byId = new Map<string, FinishedEnvironment>();
  private bytes = 0;

  constructor(
    /** How long a finished environment stays known; 0 forgets it at once. */
    private readonly retentionMs: number,
    /** How many are kept at most; the oldest goes first. */
    private readonly max: number,
    private readonly now: () => number = Date.now,
    private readonly maxBytes = SUMMARY_BYTES,
  ) {}

  add(env: FinishedEnvironment): void {
    this.byId.set(env.id, env);
    this.bytes += env.size;
    this.expire();
  }

  get(id: string): FinishedEnvironment | undefined {
    this.expire();
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Drops the expired and the ones over the count or the bytes, oldest first (Map order is finish order). */
  private expire(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [id, env] of this.byId) {
      if (this.byId.size <= this.max && this.bytes <= this.maxBytes && env.finishedAt > cutoff) break;
      this.byId.delete(id);
      this.bytes -= env.size;
    }
  }
}
