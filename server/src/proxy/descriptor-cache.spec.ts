import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DescriptorCache } from "./descriptor-cache.js";
import { startGrpcProxy } from "./grpc-proxy.js";
import type { RunningProxy } from "./proxy-contract.js";
import { type EchoServer, echoClient, startEchoServer } from "./testdata/echo-grpc.js";
import { EventCollector } from "./testdata/event-collector.js";

/** One "environment": a proxy on the edge test -> api, decoding through the shared cache. */
async function environment(
  cache: DescriptorCache,
  server: EchoServer,
  key: string,
  events: EventCollector,
): Promise<RunningProxy> {
  return startGrpcProxy({
    listenPort: 0,
    target: { host: "127.0.0.1", port: server.port },
    edge: { source: "~test", target: "api", ingress: "default" },
    onEvent: events.onEvent,
    describe: (path) => cache.describe(key, server.address, path),
    known: (path) => cache.known(key, path),
  });
}

describe("descriptor cache", () => {
  it("probes once for five environments with the same target, even when they call at once", async () => {
    const cache = new DescriptorCache();
    // Five environments, five servers of the same kind: one key.
    const servers = await Promise.all([1, 2, 3, 4, 5].map(() => startEchoServer()));
    const events = new EventCollector();
    const proxies = await Promise.all(servers.map((s) => environment(cache, s, "process:same-config:default", events)));
    const clients = proxies.map((p) => echoClient(`127.0.0.1:${p.port}`));
    try {
      const replies = await Promise.all(clients.map((c, i) => c.say({ text: `env ${i}` })));
      assert.deepEqual(
        replies.map((r) => r.text),
        ["env 0", "env 1", "env 2", "env 3", "env 4"],
      );
      await Promise.all(clients.map((c) => c.sum([{ value: 1 }, { value: 2 }])));
      const calls = await events.waitFor("grpcCallCompleted", () => true, 10);
      for (const call of calls) assert.equal(call.decodeError, "");
      assert.equal(cache.probes, 1);
      const probed = servers.filter((s) => s.reflectionCalls() > 0);
      assert.equal(probed.length, 1, "only one server was asked for reflection");
    } finally {
      for (const c of clients) c.close();
      await Promise.all(proxies.map((p) => p.close()));
      await Promise.all(servers.map((s) => s.close()));
    }
  });

  it("decodes two different servers named alike with their own descriptors", async () => {
    const cache = new DescriptorCache();
    const echo = await startEchoServer({ flavor: "echo" });
    const alt = await startEchoServer({ flavor: "alt" });
    const echoEvents = new EventCollector();
    const altEvents = new EventCollector();
    const wrongEvents = new EventCollector();
    // Both are "api" in their environments; the keys differ because their configs do.
    const echoProxy = await environment(cache, echo, "process:config-a:default", echoEvents);
    const altProxy = await environment(cache, alt, "process:config-b:default", altEvents);
    // What a name-only key would do: alt's traffic decoded with echo's descriptors.
    const wrongProxy = await environment(cache, alt, "process:config-a:default", wrongEvents);
    const echoC = echoClient(`127.0.0.1:${echoProxy.port}`);
    const altC = echoClient(`127.0.0.1:${altProxy.port}`, { flavor: "alt" });
    const wrongC = echoClient(`127.0.0.1:${wrongProxy.port}`, { flavor: "alt" });
    try {
      assert.equal((await echoC.say({ text: "hello", repeat_count: 1 })).text, "hello");
      assert.equal((await altC.say({ serial: 7, shout: true })).echoed, "#7");
      assert.equal((await wrongC.say({ serial: 7, shout: true })).echoed, "#7");

      const [e] = await echoEvents.waitFor("grpcCallCompleted");
      assert.deepEqual(JSON.parse(e?.requestJson[0] ?? "null"), { text: "hello", repeatCount: 1 });
      assert.deepEqual(JSON.parse(e?.responseJson[0] ?? "null"), { text: "hello", length: 5 });

      const [a] = await altEvents.waitFor("grpcCallCompleted");
      assert.equal(a?.decodeError, "");
      assert.deepEqual(JSON.parse(a?.requestJson[0] ?? "null"), { serial: "7", shout: true });
      assert.deepEqual(JSON.parse(a?.responseJson[0] ?? "null"), { echoed: "#7", shouted: true });

      const [w] = await wrongEvents.waitFor("grpcCallCompleted");
      assert.notDeepEqual(JSON.parse(w?.requestJson[0] ?? "null"), { serial: "7", shout: true });
      assert.equal(cache.probes, 2);
    } finally {
      for (const c of [echoC, altC, wrongC]) c.close();
      await Promise.all([echoProxy, altProxy, wrongProxy].map((p) => p.close()));
      await Promise.all([echo, alt].map((s) => s.close()));
    }
  });

  it("keeps the registry it has when a re-probe fails", async () => {
    let calls = 0;
    const server = await startEchoServer();
    const { fetchDescriptors } = await import("./reflection-fetch.js");
    const cache = new DescriptorCache(async (address) => {
      if (++calls > 1) throw new Error("server went away");
      return fetchDescriptors(address);
    });
    try {
      assert.equal(cache.known("k", "/rigtest.v1.Echo/Say"), undefined, "nothing is known before a describe");
      const known = await cache.describe("k", server.address, "/rigtest.v1.Echo/Say");
      assert.equal(known.ok, true);
      assert.equal(cache.known("k", "/rigtest.v1.Echo/Say"), known, "a found method is known at once after");
      assert.equal(cache.known("other", "/rigtest.v1.Echo/Say"), undefined, "per target identity");
      const unknown = await cache.describe("k", server.address, "/rigtest.v1.Echo/Nope");
      assert.equal(unknown.ok, false);
      assert.equal(cache.known("k", "/rigtest.v1.Echo/Nope"), undefined, "a method not found is not known");
      assert.equal(cache.known("k", "/rigtest.v1.Echo/Say"), undefined, "a re-probe forgets what the old registry found");
      const again = await cache.describe("k", server.address, "/rigtest.v1.Echo/Say");
      assert.equal(again.ok, true);
      assert.ok(cache.known("k", "/rigtest.v1.Echo/Say"), "known again from the registry kept");
      assert.equal(calls, 2);
    } finally {
      await server.close();
    }
  });
});
