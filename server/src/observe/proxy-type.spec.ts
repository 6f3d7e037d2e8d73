import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { EndpointSchema, type Event } from "../gen/rig/v1/event_pb.js";
import { Protocol } from "../gen/rig/v1/spec_pb.js";
import type { ProxyConfig } from "./observe-transform.js";
import type { PlannedService } from "../contract/plan.js";
import { DescriptorCache } from "../proxy/descriptor-cache.js";
import { echoClient, startEchoServer } from "../proxy/testdata/echo-grpc.js";
import { createProxyType } from "./proxy-type.js";
import type { PublishContext, StartContext } from "../contract/service-type.js";

function proxyService(protocol: Protocol, reflectionKey = "k"): PlannedService<ProxyConfig> {
  const config: ProxyConfig = { source: "web", target: "api", ingress: "default", protocol, reflectionKey };
  return { name: "~proxy.web.api.default", type: "proxy", config } as PlannedService<ProxyConfig>;
}

/** The parts of a start context the proxy type uses, with the emitted events collected. */
function startContext(
  service: PlannedService<ProxyConfig>,
  listenPort: number,
  targetPort: number,
  protocol: Protocol,
  events: Event["payload"][],
): StartContext<ProxyConfig> {
  return {
    service,
    ingresses: { default: create(EndpointSchema, { host: "127.0.0.1", port: listenPort, protocol }) },
    egresses: { target: create(EndpointSchema, { host: "127.0.0.1", port: targetPort, protocol }) },
    emit: (payload: Event["payload"]) => events.push(payload),
  } as unknown as StartContext<ProxyConfig>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

describe("proxy service type", () => {
  it("republishes the target's endpoint templates at its own port", async () => {
    const type = createProxyType();
    const published = await type.publish({
      service: proxyService(Protocol.TCP),
      allocatePort: async () => 40123,
      egressTemplates: {
        target: { host: "127.0.0.1", port: 5432, protocol: Protocol.TCP, attributes: { PGPORT: "${PORT}", PGDATABASE: "shop" } },
      },
    } as unknown as PublishContext<ProxyConfig>);
    assert.deepEqual(published, {
      default: { host: "127.0.0.1", port: 40123, protocol: Protocol.TCP, attributes: { PGPORT: "${PORT}", PGDATABASE: "shop" } },
    });
  });

  it("runs a TCP proxy that emits connection events and stops promptly", async () => {
    const target = createServer((s) => s.pipe(s)).listen(0, "127.0.0.1");
    await once(target, "listening");
    const targetPort = (target.address() as { port: number }).port;
    const events: Event["payload"][] = [];
    const listenPort = await freePort();
    const running = await createProxyType().start(startContext(proxyService(Protocol.TCP), listenPort, targetPort, Protocol.TCP, events));
    try {
      const socket = connect(listenPort, "127.0.0.1");
      socket.on("error", () => {});
      socket.write("abc");
      await once(socket, "data");
      const closed = once(socket, "close");
      // Stopping ends open connections instead of waiting for them.
      assert.deepEqual(await running.stop(), { code: 0, signal: null });
      await closed;
      await running.exited;
      assert.deepEqual(
        events.map((e) => e.case),
        ["connectionOpened", "connectionClosed"],
      );
      const last = events[1];
      assert.ok(last?.case === "connectionClosed");
      assert.equal(last.value.bytesSent, 3n);
      assert.equal(last.value.target, "api");
    } finally {
      target.close();
    }
  });

  it("shares one descriptor cache across every gRPC proxy of this rigd", async () => {
    const server = await startEchoServer();
    const cache = new DescriptorCache();
    const type = createProxyType(cache);
    const events: Event["payload"][] = [];
    const ports = [await freePort(), await freePort()];
    const proxies = await Promise.all(
      ports.map((port) => type.start(startContext(proxyService(Protocol.GRPC, "process:x:default"), port, server.port, Protocol.GRPC, events))),
    );
    try {
      for (const port of ports) {
        const client = echoClient(`127.0.0.1:${port}`);
        assert.equal((await client.say({ text: "hi" })).text, "hi");
        client.close();
      }
      const deadline = Date.now() + 5000;
      while (events.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(events.length, 2);
      for (const event of events) {
        assert.ok(event.case === "grpcCallCompleted");
        assert.deepEqual(JSON.parse(event.value.requestJson[0] ?? "null"), { text: "hi" });
      }
      assert.equal(cache.probes, 1);
    } finally {
      await Promise.all(proxies.map((p) => p.stop()));
      await server.close();
    }
  });
});
