/**
 * The event log of one environment: immutable, sequenced, timestamped events.
 *
 * It is the coordination mechanism of the orchestrator (services wait for events
 * instead of sharing mutable state), the source of WatchEvents streams, and the
 * on-disk record of the run (through the sink).
 *
 * Traffic is bounded in memory: once an environment's traffic events (proxied requests,
 * calls, connections) have used up `trafficInMemory` bytes (their stored size), later
 * ones are kept only where the sink stored them; the log remembers where (one number,
 * 8 bytes, each) and reads them back for a stream that asks for traffic. The last
 * RECENT_TRAFFIC of them stay in memory a little longer, so followers keeping up never
 * touch the disk. A follower that leaves traffic out never reads the disk at all.
 */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import type { Event } from "../gen/rig/v1/event_pb.js";
import { ALL_EVENTS, type EventFilter, TRAFFIC, wanted } from "./event-filter.js";
import { eventTypeName } from "./event-type-name.js";

/** The payload oneof of an Event. */
export type EventPayload = Event["payload"];

/**
 * `timestampFromMs` as a typed literal: it calls `create()`, ~55 ns more per event by
 * reflection, and every proxied request appends one.
 */
function timestampOf(ms: number): Timestamp {
  const seconds = Math.floor(ms / 1000);
  return { $typeName: "google.protobuf.Timestamp", seconds: BigInt(seconds), nanos: (ms - seconds * 1000) * 1_000_000 };
}

/** Where a sink stored an event: a byte range of its file (a line: read back to its end). */
export class StoredEvent {
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {}
}

/**
 * Receives every appended event before followers see it (e.g. the log file writer) and
 * may say where it stored it. A sink that throws rejects the append: the event is neither
 * kept nor sequenced.
 */
export type EventSink = (event: Event) => StoredEvent | void;

/** How much traffic a log keeps in memory, and how it reads the rest back. */
export interface TrafficBudget {
  /** Stored bytes of traffic events kept in memory; later ones are read back with `load`. */
  readonly trafficInMemory: number;
  /** Reads back the event the sink stored at this offset. */
  readonly load: (offset: number) => Event;
}

/** Traffic events over the budget that stay in memory a while for live followers... */
export const RECENT_TRAFFIC = 256;
/** ...as long as they hold less than this many stored bytes together. */
const RECENT_TRAFFIC_BYTES = 1024 * 1024;

export class EventLog {
  /** By seq - 1: the event, or the offset it is stored at once it left memory. */
  private readonly events: (Event | number)[] = [];
  /**
   * Followers waiting for an event, with what they want: an appended event wakes only
   * those who want it. A follower leaving traffic out (every SDK session) is not woken,
   * and does not build a new wait, for each proxied request.
   */
  private waiting: Waiter[] = [];
  private closed = false;
  /** Stored bytes of the traffic events kept in memory for good. */
  private trafficKept = 0;
  /**
   * Traffic events over the budget, still in memory: a ring of their indexes, offsets and
   * lengths (numbers, not an object each: this runs for every proxied request).
   */
  private readonly leaving = new RecentRing(RECENT_TRAFFIC + 1);
  private leavingBytes = 0;
  /** Called with each appended event, in order (observe()); dropped at close. */
  private observers: ((event: Event) => void)[] = [];

  constructor(
    readonly environmentId: string,
    private readonly sink: EventSink = () => {},
    private readonly budget?: TrafficBudget,
  ) {}

  /** Appends an event about `service` ("" for environment-wide events) and wakes followers. */
  append(service: string, payload: EventPayload): Event {
    if (this.closed) throw new Error(`event log of ${this.environmentId} is closed`);
    // A typed literal, not create(): create() initialises by reflection, on the path of
    // every proxied request (see proxy/request-event.ts).
    const event: Event = {
      $typeName: "rig.v1.Event",
      seq: BigInt(this.events.length + 1),
      time: timestampOf(Date.now()),
      environmentId: this.environmentId,
      type: eventTypeName(payload.case),
      service,
      payload,
    };
    // No validation encode here: the sink encodes the event once for the file and
    // throws when it cannot (the builders of each payload are tested to encode).
    const stored = this.sink(event);
    this.events.push(event);
    if (stored && this.budget && TRAFFIC.has(payload.case)) this.budgetTraffic(this.events.length - 1, stored);
    for (const observer of this.observers) observer(event);
    this.wakeWanting(payload.case);
    return event;
  }

  /** Keeps a traffic event while the budget lasts; past it, it leaves memory once it is not recent. */
  private budgetTraffic(index: number, stored: StoredEvent): void {
    if (this.trafficKept + stored.length <= this.budget!.trafficInMemory) {
      this.trafficKept += stored.length;
      return;
    }
    const leaving = this.leaving;
    leaving.push(index, stored.offset, stored.length);
    this.leavingBytes += stored.length;
    while (leaving.size > RECENT_TRAFFIC || this.leavingBytes > RECENT_TRAFFIC_BYTES) {
      const oldest = leaving.head;
      this.leavingBytes -= leaving.lengths[oldest]!;
      this.events[leaving.indexes[oldest]!] = leaving.offsets[oldest]!;
      leaving.shift();
    }
  }

  /** Sequence number of the last event (0 when empty). */
  get lastSeq(): bigint {
    return BigInt(this.events.length);
  }

  /** True once the environment is down and no event will follow. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Traffic events that left memory (read back from the sink's store when streamed). */
  get trafficOnDiskOnly(): number {
    let n = 0;
    for (const entry of this.events) if (typeof entry === "number") n++;
    return n;
  }

  /**
   * The event at `index` (seq - 1) when `filter` wants it, read back when it left memory;
   * undefined when not wanted. Only traffic leaves memory, so a follower without traffic
   * skips those entries unread.
   */
  private at(index: number, filter: EventFilter): Event | undefined {
    const entry = this.events[index] as Event | number;
    if (typeof entry === "number") return filter.excludeTraffic ? undefined : this.budget!.load(entry);
    return wanted(filter, entry.payload.case) ? entry : undefined;
  }

  /** The events appended so far (not those that follow), after `afterSeq`, as a stream. */
  async *replay(signal?: AbortSignal, afterSeq = 0n, filter = ALL_EVENTS): AsyncGenerator<Event> {
    const end = this.events.length;
    for (let index = Number(afterSeq); index < end && !signal?.aborted; index++) {
      const event = this.at(index, filter);
      if (event) yield event;
    }
  }

  /**
   * Calls `observer` with every event so far, then with each appended one as it is
   * appended (before followers wake), until the log closes: counting traffic without
   * reading back what left memory. It runs on the path of every proxied request, so it
   * must be cheap, and it must not throw.
   */
  observe(observer: (event: Event) => void): void {
    for (let index = 0; index < this.events.length; index++) observer(this.at(index, ALL_EVENTS)!);
    if (!this.closed) this.observers.push(observer);
  }

  /** Marks the log complete; followers finish after the last event. */
  close(): void {
    this.closed = true;
    this.observers = [];
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) w.wake();
  }

  /** Wakes the followers that want an event with this payload; the others go on waiting. */
  private wakeWanting(payload: EventPayload["case"]): void {
    const waiting = this.waiting;
    let any = false;
    for (let i = 0; i < waiting.length && !any; i++) any = wanted(waiting[i]!.filter, payload);
    if (!any) return;
    this.waiting = [];
    for (const w of waiting) {
      if (wanted(w.filter, payload)) w.wake();
      else this.waiting.push(w);
    }
  }

  /** Resolves at the next append `filter` wants, or at close; rejects when the signal aborts. */
  private next(signal: AbortSignal, filter: EventFilter): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        this.waiting = this.waiting.filter((w) => w !== waiter);
        reject(signal.reason);
      };
      const done = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const waiter: Waiter = { filter, wake: done };
      this.waiting.push(waiter);
    });
  }

  /**
   * Yields events with seq > afterSeq that `filter` wants (all by default), then follows
   * live appends until the log is closed. Ends quietly when the signal aborts.
   */
  async *follow(afterSeq: bigint, signal: AbortSignal, filter = ALL_EVENTS): AsyncGenerator<Event> {
    let index = Number(afterSeq);
    for (;;) {
      while (index < this.events.length) {
        const event = this.at(index++, filter);
        if (event) yield event;
      }
      if (this.closed || signal.aborted) return;
      try {
        await this.next(signal, filter);
      } catch {
        return;
      }
    }
  }

  /**
   * Resolves with the first event (already logged or future) matching the predicate.
   * Rejects when the signal aborts, or when the log closes without a match. Traffic
   * events that left memory are not offered (nothing coordinates on traffic).
   */
  async waitFor(predicate: (event: Event) => boolean, signal: AbortSignal): Promise<Event> {
    let index = 0;
    for (;;) {
      while (index < this.events.length) {
        const entry = this.events[index++] as Event | number;
        if (typeof entry !== "number" && predicate(entry)) return entry;
      }
      if (this.closed) throw new Error("environment is down");
      await this.next(signal, ALL_EVENTS);
    }
  }
}

/** A fixed-size ring of (event index, offset, length), oldest at `head`. */
class RecentRing {
  // Plain arrays of small integers, so an offset goes back into the log as it came (a
  // typed array would hand out a fresh number object for it).
  readonly indexes: number[];
  readonly offsets: number[];
  readonly lengths: number[];
  head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    this.indexes = new Array<number>(capacity).fill(0);
    this.offsets = new Array<number>(capacity).fill(0);
    this.lengths = new Array<number>(capacity).fill(0);
  }

  push(index: number, offset: number, length: number): void {
    if (this.size === this.capacity) throw new Error("RecentRing is full");
    const at = (this.head + this.size++) % this.capacity;
    this.indexes[at] = index;
    this.offsets[at] = offset;
    this.lengths[at] = length;
  }

  shift(): void {
    this.head = (this.head + 1) % this.capacity;
    this.size--;
  }
}

/** A follower waiting in `next`. */
interface Waiter {
  readonly filter: EventFilter;
  readonly wake: () => void;
}
