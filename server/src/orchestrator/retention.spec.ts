/**
 * Bounded memory through a real rigd: a finished environment leaves memory (a summary
 * stays) and its log is served from its events.jsonl, complete; at most
 * `finished-environments` are kept known; traffic past `traffic-in-memory` is read back
 * from the file for streams, complete.
 */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create, toJsonString, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { EnvironmentSchema, EnvironmentState } from "../gen/rig/v1/environment_service_pb.js";
import { EventSchema, type Event } from "../gen/rig/v1/event_pb.js";
import { ReadinessKind, type ServiceSchema } from "../gen/rig/v1/spec_pb.js";
import { collectEvents, FIXTURES, nodeHttpService, rejection, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { FinishedEnvironment, FinishedEnvironments } from "./finished-environments.js";
import { ALL_EVENTS } from "../events/event-filter.js";

type ServiceInit = MessageInitShape<typeof ServiceSchema>;

let rigd: Rigd;

before(async () => {
  rigd = await startRigd(["--limit", "finished-environments=2", "--limit", "traffic-in-memory=4KiB"]);
});

after(async () => {
  await rigd.stop();
});

const json = (events: readonly Event[]): string[] => events.map((e) => toJsonString(EventSchema, e));

function get(port: number, path = "/"): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d.toString()));
      res.on("end", () => resolve(body));
    })
      .on("error", reject)
      .end();
  });
}

/** A one-service environment, up, then destroyed. */
async function upAndDown(name: string): Promise<string> {
  const { environmentId } = await rigd.client.createEnvironment({
    spec: spec({
      name,
      services: [
        {
          name: "quiet",
          ingresses: [{ ready: { kind: ReadinessKind.NONE } }],
          config: { case: "process", value: { command: "/bin/sh", args: ["-c", `exec sleep 60 # ${rigd.marker}`] } },
        },
      ],
    }),
  });
  assert.equal((await collectEvents(rigd, environmentId)).at(-1)?.type, "environment.up");
  await rigd.client.destroyEnvironment({ environmentId });
  return environmentId;
}

/** The chain-server fixture behind an HTTP ingress (recorded with observe on). */
function webService(): ServiceInit {
  return nodeHttpService(rigd, join(FIXTURES, "chain-server.js"));
}

async function createObserved(name: string, services: ServiceInit[]): Promise<string> {
  const { environmentId } = await rigd.client.createEnvironment({ spec: spec({ name, observe: true, services }) });
  return environmentId;
}

describe("a finished environment", () => {
  it("is served complete from its events.jsonl: GetLog, WatchEvents from any seq, GetEnvironment, a repeated destroy", async () => {
    const id = await createObserved("retained", [
      webService(),
      {
        name: "talker",
        ingresses: [{ ready: { kind: ReadinessKind.NONE } }],
        config: {
          case: "process",
          value: { command: "/bin/sh", args: ["-c", `echo line-one; echo line-two >&2; exec sleep 60 # ${rigd.marker}`] },
        },
      },
    ]);
    // Follow live (logs too) until down, as a client would; that is the reference.
    const live = collectEvents(rigd, id, (e) => e.type === "environment.down", { includeLogs: true });
    const upEvents = await collectEvents(rigd, id);
    const up = upEvents.at(-1)!;
    assert.equal(up.payload.case, "environmentUp");
    const web = up.payload.value.services.web!.ingresses.default!;
    assert.equal(await get(web.port), "web");
    assert.equal(await get(web.port), "web");
    const destroyed = await rigd.client.destroyEnvironment({ environmentId: id, testFailed: true });
    const reference = await live;
    assert.equal(reference.at(-1)!.type, "environment.down");
    assert.equal(reference.filter((e) => e.type === "request.completed").length, 2);
    assert.ok(reference.some((e) => e.type === "service.log"), "the talker's output is in the log");

    const log = (await Array.fromAsync(rigd.client.getLog({ environmentId: id }))).map((r) => r.event!);
    assert.deepEqual(json(log), json(reference), "GetLog of the finished environment is the whole log, byte for byte");
    const tail = await collectEvents(rigd, id, () => false, { afterSeq: 5n });
    assert.deepEqual(
      json(tail),
      json(reference.filter((e) => e.seq > 5n && e.type !== "service.log")),
      "WatchEvents after_seq 5 replays the rest without service logs, then ends",
    );
    const state = (await rigd.client.getEnvironment({ environmentId: id })).environment!;
    assert.equal(state.state, EnvironmentState.DOWN);
    assert.equal(state.lastSeq, reference.at(-1)!.seq);
    for (const name of ["web", "talker"]) assert.ok(state.services.some((s) => s.name === name), `${name} in the summary`);
    const again = await rigd.client.destroyEnvironment({ environmentId: id });
    assert.equal(again.eventLogPath, destroyed.eventLogPath);
    assert.equal(again.down?.summary, destroyed.down?.summary);
    assert.equal(again.down?.testFailed, true);
    const beyond = await rejection(collectEvents(rigd, id, () => false, { afterSeq: state.lastSeq + 1n }));
    assert.equal(beyond.code, Code.InvalidArgument);

    // Served from disk: with the file gone, rigd says so instead of answering from memory.
    rmSync(destroyed.eventLogPath);
    const gone = await rejection(Array.fromAsync(rigd.client.getLog({ environmentId: id })));
    assert.equal(gone.code, Code.NotFound);
    assert.match(gone.rawMessage, /finished and its event log .*events\.jsonl was removed/);
  });

  it("stays known only while it is among the last finished-environments (2 here)", async () => {
    const first = await upAndDown("first");
    const second = await upAndDown("second");
    const third = await upAndDown("third");
    const missing = await rejection(rigd.client.getEnvironment({ environmentId: first }));
    assert.equal(missing.code, Code.NotFound);
    for (const id of [second, third]) {
      const log = (await Array.fromAsync(rigd.client.getLog({ environmentId: id }))).map((r) => r.event!.type);
      assert.equal(log[0], "environment.created");
      assert.equal(log.at(-1), "environment.down");
    }
  });
});

describe("traffic past the in-memory budget (4 KiB here)", () => {
  it("is streamed complete, from disk, to a late WatchEvents and to GetLog while the environment runs", async () => {
    const id = await createObserved("busy", [webService()]);
    const up = (await collectEvents(rigd, id)).at(-1)!;
    assert.equal(up.payload.case, "environmentUp");
    const port = up.payload.value.services.web!.ingresses.default!.port;
    // ~1 KiB per event: all but a few are over the budget, and 600 > the recent ones kept.
    const requests = 600;
    for (let i = 0; i < requests; i++) assert.equal(await get(port, `/?n=${i}`), "web");
    const paths = (events: readonly Event[]): string[] =>
      events.flatMap((e) => (e.payload.case === "requestCompleted" ? [`${e.payload.value.path} ${Buffer.from(e.payload.value.responseBody).toString()}`] : []));
    const expected = Array.from({ length: requests }, (_, i) => `/?n=${i} web`);
    const late = await collectEvents(rigd, id, (e) => e.payload.case === "requestCompleted" && e.payload.value.path === `/?n=${requests - 1}`);
    assert.deepEqual(paths(late), expected, "a WatchEvents from 0 gets every request, bodies included");
    const log = (await Array.fromAsync(rigd.client.getLog({ environmentId: id }))).map((r) => r.event!);
    assert.deepEqual(paths(log), expected, "GetLog too");
    assert.deepEqual(log.map((e) => e.seq), log.map((_, i) => BigInt(i + 1)), "no gap in the seqs");
    await rigd.client.destroyEnvironment({ environmentId: id });
  });
});

describe("FinishedEnvironments", () => {
  it("forgets an environment once the retention time has passed, and the oldest first over the count or the bytes", () => {
    let now = 1_000;
    const store = new FinishedEnvironments(60_000, 2, () => now);
    const finished = (id: string): FinishedEnvironment =>
      new FinishedEnvironment(create(EnvironmentSchema, { id, lastSeq: 3n }), `/nowhere/${id}`, "", false, now);
    store.add(finished("a"));
    now += 30_000;
    store.add(finished("b"));
    assert.ok(store.get("a") && store.get("b"));
    now += 30_001;
    assert.equal(store.get("a"), undefined, "a expired");
    assert.ok(store.get("b"));
    store.add(finished("c"));
    store.add(finished("d"));
    assert.equal(store.get("b"), undefined, "b was the oldest over the count");
    assert.deepEqual([store.get("c")?.id, store.get("d")?.id], ["c", "d"]);
    assert.throws(() => store.get("c")!.events(0n, ALL_EVENTS), /finished and its event log \/nowhere\/c was removed/);
    assert.equal(new FinishedEnvironments(0, 10, () => now).size, 0);
    const small = new FinishedEnvironments(60_000, 10, () => now, 3 * finished("e0").size);
    for (const id of ["e1", "e2", "e3", "e4"]) small.add(finished(id));
    assert.deepEqual(["e1", "e2", "e3", "e4"].map((id) => small.get(id)?.id), [undefined, "e2", "e3", "e4"], "and over the bytes");
  });
});
