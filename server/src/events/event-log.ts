/**
 * The event log of one environment: immutable, sequenced, timestamped events.
 *
 * It is the coordination mechanism of the orchestrator (services wait for events
 * instead of sharing mutable state), the source of WatchEvents streams, and the
 * on-disk record of the run (through the sink).
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventSchema, type Event } from "../gen/rig/v1/event_pb.js";
import { eventTypeName } from "./event-type-name.js";

/** The payload oneof of an Event. */
export type EventPayload = Event["payload"];

/**
 * Receives every appended event before followers see it (e.g. the log file writer).
 * A sink that throws rejects the append: the event is neither kept nor sequenced.
 */
export type EventSink = (event: Event) => void;

export class EventLog {
  private readonly events: Event[] = [];
  private wake: (() => void)[] = [];
  private closed = false;

  constructor(
    readonly environmentId: string,
    private readonly sink: EventSink = () => {},
  ) {}

  /** Appends an event about `service` ("" for environment-wide events) and wakes followers. */
  append(service: string, payload: EventPayload): Event {
    if (this.closed) throw new Error(`event log of ${this.environmentId} is closed`);
    const event = create(EventSchema, {
      seq: BigInt(this.events.length + 1),
      time: timestampFromMs(Date.now()),
      environmentId: this.environmentId,
      type: eventTypeName(payload.case),
      service,
      payload,
    });
    // No validation encode here: the sink encodes the event once for the file and
    // throws when it cannot (the builders of each payload are tested to encode).
    this.sink(event);
    this.events.push(event);
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
    return event;
  }

  /** Sequence number of the last event (0 when empty). */
  get lastSeq(): bigint {
    return BigInt(this.events.length);
  }

  /** True once the environment is down and no event will follow. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Every event so far. */
  all(): readonly Event[] {
    return this.events;
  }

  /** The events appended so far (not those that follow), as a stream. */
  async *replay(signal?: AbortSignal): AsyncGenerator<Event> {
    const end = this.events.length;
    for (let index = 0; index < end && !signal?.aborted; index++) yield this.events[index] as Event;
  }

  /** Marks the log complete; followers finish after the last event. */
  close(): void {
    this.closed = true;
    const wake = this.wake;
    this.wake = [];
    for (const w of wake) w();
  }

  /** Resolves at the next append or close, or rejects when the signal aborts. */
  private next(signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        this.wake = this.wake.filter((w) => w !== done);
        reject(signal.reason);
      };
      const done = (): void => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.wake.push(done);
    });
  }

  /**
   * Yields events with seq > afterSeq, then follows live appends until the log is
   * closed. Ends quietly when the signal aborts.
   */
  async *follow(afterSeq: bigint, signal: AbortSignal): AsyncGenerator<Event> {
    let index = Number(afterSeq);
    for (;;) {
      while (index < this.events.length) yield this.events[index++] as Event;
      if (this.closed || signal.aborted) return;
      try {
        await this.next(signal);
      } catch {
        return;
      }
    }
  }

  /**
   * Resolves with the first event (already logged or future) matching the predicate.
   * Rejects when the signal aborts, or when the log closes without a match.
   */
  async waitFor(predicate: (event: Event) => boolean, signal: AbortSignal): Promise<Event> {
    let index = 0;
    for (;;) {
      while (index < this.events.length) {
        const event = this.events[index++] as Event;
        if (predicate(event)) return event;
      }
      if (this.closed) throw new Error("environment is down");
      await this.next(signal);
    }
  }
}
