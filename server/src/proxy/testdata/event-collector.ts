/**
 * Collects the events a proxy publishes so tests can wait for the one they expect.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { EventSchema } from "../../gen/rig/v1/event_pb.js";
import type { ProxyEvent } from "../proxy-contract.js";

type Case = ProxyEvent["case"];
type ValueOf<C extends Case> = Extract<ProxyEvent, { case: C }>["value"];

/**
 * An `onEvent` sink that remembers every event. Each event is also encoded as the log
 * would encode it, so an event protobuf cannot serialize fails the test that waits for it.
 */
export class EventCollector {
  readonly events: ProxyEvent[] = [];
  readonly #unencodable: string[] = [];
  readonly #waiters = new Set<() => void>();

  /** Pass as a proxy's onEvent. */
  readonly onEvent = (event: ProxyEvent): void => {
    try {
      toBinary(EventSchema, create(EventSchema, { payload: event }));
    } catch (err) {
      this.#unencodable.push(`${event.case}: ${err instanceof Error ? err.message : String(err)}`);
    }
    this.events.push(event);
    for (const wake of this.#waiters) wake();
  };

  /** Values of every event of one case so far; throws if any event could not be encoded. */
  all<C extends Case>(kind: C): ValueOf<C>[] {
    if (this.#unencodable.length > 0) throw new Error(`unencodable events: ${this.#unencodable.join("; ")}`);
    return this.events.filter((e) => e.case === kind).map((e) => e.value as ValueOf<C>);
  }

  /** Waits until `count` events of `kind` matching `match` arrived; returns them. */
  async waitFor<C extends Case>(
    kind: C,
    match: (value: ValueOf<C>) => boolean = () => true,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<ValueOf<C>[]> {
    const found = (): ValueOf<C>[] => this.all(kind).filter(match);
    if (found().length >= count) return found().slice(0, count);
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        outcome();
      };
      const timer = setTimeout(
        () => settle(() => reject(new Error(`timed out waiting for ${count} ${kind} event(s)`))),
        timeoutMs,
      );
      const wake = (): void => {
        try {
          const values = found();
          if (values.length >= count) settle(() => resolve(values.slice(0, count)));
        } catch (err) {
          settle(() => reject(err));
        }
      };
      this.#waiters.add(wake);
    });
  }
}
