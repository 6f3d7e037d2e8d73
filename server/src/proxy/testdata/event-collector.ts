/**
 * Collects the events a proxy publishes so tests can wait for the one they expect.
 */
import type { ProxyEvent } from "../proxy-contract.js";

type Case = ProxyEvent["case"];
type ValueOf<C extends Case> = Extract<ProxyEvent, { case: C }>["value"];

/** An `onEvent` sink that remembers every event. */
export class EventCollector {
  readonly events: ProxyEvent[] = [];
  readonly #waiters = new Set<() => void>();

  /** Pass as a proxy's onEvent. */
  readonly onEvent = (event: ProxyEvent): void => {
    this.events.push(event);
    for (const wake of this.#waiters) wake();
  };

  /** Values of every event of one case so far. */
  all<C extends Case>(kind: C): ValueOf<C>[] {
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
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(new Error(`timed out waiting for ${count} ${kind} event(s); have ${found().length}`));
      }, timeoutMs);
      const wake = (): void => {
        const values = found();
        if (values.length < count) return;
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(values.slice(0, count));
      };
      this.#waiters.add(wake);
    });
  }
}
