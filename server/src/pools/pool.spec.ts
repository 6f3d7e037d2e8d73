import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Pool, PoolClosedError, type Backend } from "./pool.js";

/** A backend that records what happened to it; its start can be held or made to fail. */
class FakeBackend implements Backend<string, string, string> {
  static made: FakeBackend[] = [];
  readonly events: string[] = [];
  startGate: Promise<void> = Promise.resolve();
  failStart: Error | undefined;
  private dead!: (why: string) => void;
  private readonly deadPromise = new Promise<string>((r) => (this.dead = r));

  constructor(readonly key: string) {
    FakeBackend.made.push(this);
  }

  async start(signal: AbortSignal): Promise<string> {
    this.events.push("start");
    await this.startGate;
    signal.throwIfAborted();
    if (this.failStart) throw this.failStart;
    return `server-${this.key}`;
  }
  async stop(): Promise<void> {
    this.events.push("stop");
  }
  async newLease(info: string, request: string): Promise<string> {
    this.events.push(`lease:${request}`);
    return `${info}/${request}`;
  }
  async dropLease(_info: string, lease: string): Promise<void> {
    this.events.push(`drop:${lease}`);
  }
  died(): Promise<string> {
    return this.deadPromise;
  }
  kill(): void {
    this.dead("killed");
  }
}

function pool(idleMs = 60_000, make?: (key: string) => FakeBackend): Pool<string, string, string> {
  FakeBackend.made = [];
  return new Pool({ name: "fake", idleMs, create: make ?? ((key) => new FakeBackend(key)) });
}

const never = new AbortController().signal;
const tick = (ms = 5): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("Pool", () => {
  it("starts one backend per key and shares it between leases", async () => {
    const p = pool();
    const [a, b, c] = await Promise.all([p.acquire("img1", "a", never), p.acquire("img1", "b", never), p.acquire("img2", "c", never)]);
    assert.equal(FakeBackend.made.length, 2);
    assert.equal(a.backend, "server-img1");
    assert.equal(b.backend, "server-img1");
    assert.equal(c.backend, "server-img2");
    assert.deepEqual([a.data, b.data], ["server-img1/a", "server-img1/b"]);
    assert.equal(FakeBackend.made[0]?.events.filter((e) => e === "start").length, 1);
    assert.equal(p.users("img1"), 2);
    await p.closeAll();
  });

  it("drops a lease on release, once", async () => {
    const p = pool();
    const lease = await p.acquire("k", "x", never);
    await Promise.all([lease.release(), lease.release()]);
    await lease.release();
    assert.deepEqual(FakeBackend.made[0]?.events, ["start", "lease:x", "drop:server-k/x"]);
    assert.equal(p.users("k"), 0);
    await p.closeAll();
  });

  it("a failed start does not poison the key; the next acquire starts afresh", async () => {
    let attempt = 0;
    const p = pool(60_000, (key) => {
      const b = new FakeBackend(key);
      if (attempt++ === 0) b.failStart = new Error("image missing");
      return b;
    });
    await assert.rejects(p.acquire("k", "x", never), /image missing/);
    await tick();
    assert.deepEqual(FakeBackend.made[0]?.events, ["start", "stop"], "the failed backend is cleaned up");
    const lease = await p.acquire("k", "y", never);
    assert.equal(lease.backend, "server-k");
    assert.equal(FakeBackend.made.length, 2);
    await p.closeAll();
  });

  it("every waiter of a failing start gets the error", async () => {
    let release!: () => void;
    const p = pool(60_000, (key) => {
      const b = new FakeBackend(key);
      b.startGate = new Promise((r) => (release = r));
      b.failStart = new Error("boom");
      return b;
    });
    const waits = [p.acquire("k", "a", never), p.acquire("k", "b", never)];
    release();
    for (const w of waits) await assert.rejects(w, /boom/);
    assert.equal(FakeBackend.made.length, 1);
    await p.closeAll();
  });

  it("a waiter that gives up does not cancel the shared start", async () => {
    let release!: () => void;
    const p = pool(60_000, (key) => {
      const b = new FakeBackend(key);
      b.startGate = new Promise((r) => (release = r));
      return b;
    });
    const quitter = new AbortController();
    const first = p.acquire("k", "a", quitter.signal);
    const second = p.acquire("k", "b", never);
    quitter.abort(new Error("test gave up"));
    await assert.rejects(first, /test gave up/);
    release();
    const lease = await second;
    assert.equal(lease.data, "server-k/b");
    assert.deepEqual(FakeBackend.made[0]?.events, ["start", "lease:b"]);
    await p.closeAll();
  });

  it("stops a backend after the idle time and starts a new one on the next acquire", async () => {
    const p = pool(30);
    const lease = await p.acquire("k", "a", never);
    await lease.release();
    assert.deepEqual(p.keys(), ["k"], "still alive right after release");
    await tick(80);
    assert.deepEqual(p.keys(), []);
    assert.deepEqual(FakeBackend.made[0]?.events.at(-1), "stop");
    const again = await p.acquire("k", "b", never);
    assert.equal(FakeBackend.made.length, 2);
    assert.equal(again.data, "server-k/b");
    await p.closeAll();
  });

  it("an acquire before the idle timer fires keeps the backend", async () => {
    const p = pool(40);
    await (await p.acquire("k", "a", never)).release();
    await tick(10);
    const b = await p.acquire("k", "b", never);
    await tick(60);
    assert.equal(FakeBackend.made.length, 1);
    assert.ok(!FakeBackend.made[0]?.events.includes("stop"));
    await b.release();
    await p.closeAll();
  });

  it("forgets a backend that died", async () => {
    const p = pool();
    const lease = await p.acquire("k", "a", never);
    FakeBackend.made[0]?.kill();
    await tick();
    assert.deepEqual(p.keys(), []);
    await lease.release(); // no dropLease on a dead backend, and no error
    assert.ok(!FakeBackend.made[0]?.events.some((e) => e.startsWith("drop:")));
    await p.acquire("k", "b", never);
    assert.equal(FakeBackend.made.length, 2);
    await p.closeAll();
  });

  it("closeAll stops every backend and refuses later acquires", async () => {
    const p = pool();
    const lease = await p.acquire("a", "x", never);
    await p.acquire("b", "y", never);
    await p.closeAll();
    assert.deepEqual(
      FakeBackend.made.map((b) => b.events.at(-1)),
      ["stop", "stop"],
    );
    await assert.rejects(p.acquire("a", "z", never), PoolClosedError);
    await lease.release();
  });
});
