/**
 * What is in flight on one connection by id (HTTP/2 streams, Kafka correlation ids), for
 * a connection that lives long and has a new id per call.
 *
 * Why not a Map of id -> value: a Map that lives long while its keys churn rehashes every
 * few dozen inserts, and V8 links the table it leaves to the new one (for iterators that
 * were open). Once that chain reaches the old generation, every scavenge treats the dead
 * tables as roots: each keeps its successor and the values it held alive, which are
 * promoted in turn. Measured under 16 gRPC clients, that retained every call's objects
 * until the next full GC: ~3 MB promoted per scavenge and a mark-compact every ~2 s,
 * most of the CPU the recording proxy spent beyond reading frames. Here the Map holds only
 * slot numbers (small integers, not references): the values sit in an array whose slots
 * are cleared when their call ends and reused.
 */
export class InFlight<T> {
  readonly #slotOf = new Map<number, number>();
  readonly #slots: (T | undefined)[] = [];
  readonly #free: number[] = [];

  get size(): number {
    return this.#slotOf.size;
  }

  get(id: number): T | undefined {
    const slot = this.#slotOf.get(id);
    return slot === undefined ? undefined : this.#slots[slot];
  }

  set(id: number, value: T): void {
    const existing = this.#slotOf.get(id);
    if (existing !== undefined) {
      this.#slots[existing] = value;
      return;
    }
    const slot = this.#free.pop() ?? this.#slots.length;
    this.#slots[slot] = value;
    this.#slotOf.set(id, slot);
  }

  /** Removes the id; returns its value (undefined: it was not in flight). */
  take(id: number): T | undefined {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return undefined;
    const value = this.#slots[slot];
    this.#slots[slot] = undefined;
    this.#slotOf.delete(id);
    this.#free.push(slot);
    return value;
  }

  /** The ids in flight, in the order they were set (a copy: safe to take() while iterating). */
  ids(): number[] {
    return [...this.#slotOf.keys()];
  }
}
