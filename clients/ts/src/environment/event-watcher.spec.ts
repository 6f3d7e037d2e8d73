/**
 * The event stream is what keeps an environment alive in rigd. When the connection to
 * rigd drops, the SDK reopens the stream after the last seen seq, so the environment
 * survives its orphan grace. The drop is made real with a TCP relay between the SDK and
 * rigd whose connections the test cuts.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { connect, createServer } from "node:net";
import { once } from "node:events";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { readFileSync } from "node:fs";
import { connectRigd } from "../daemon/auto-start.js";
import { locateRigd, rigdFiles } from "../daemon/rigd-location.js";
import { EnvironmentState } from "../gen/rig/v1/environment_service_pb.js";
import { rig } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

/**
 * A TCP relay to `target` whose open connections can be cut. rigd only accepts a Host
 * naming a loopback address with its own port (DNS-rebinding guard), so the relay listens
 * on the same port on another loopback address (127.0.0.2:PORT) while rigd serves 127.0.0.1:PORT.
 */
async function relay(target: string): Promise<{ address: string; cut: () => number; close: () => Promise<void> }> {
  const [host, port] = target.split(":") as [string, string];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  server.listen(Number(port), "127.0.0.2");
  await once(server, "listening");
  return {
    address: `127.0.0.2:${port}`,
    cut: () => {
      const n = sockets.size;
      for (const s of sockets) s.destroy();
      return n;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy(); // the SDK's idle connections would hold close() open
      }),
  };
}

test("a dropped connection to rigd is re-established and the environment outlives its orphan grace", async (t) => {
  const direct = await connectRigd(); // starts this file's rigd
  const link = await relay(direct.address);
  t.after(() => link.close());
  const token = readFileSync(rigdFiles(rigDir.dir, locateRigd().version).tokenFile, "utf8").trim();

  await using env = await rig.up({ ping: httpFunc("pong") }, { server: link.address, token, orphanGrace: "2s" });
  const watchers = async (): Promise<number> =>
    (await direct.environments.getEnvironment({ environmentId: env.id })).environment?.watchers ?? -1;
  assert.equal(await watchers(), 1);

  assert.ok(link.cut() > 0, "cut the SDK's connections");
  // rigd sees the watcher go, then come back through a new connection.
  let seen = await watchers();
  for (const deadline = Date.now() + 10_000; seen !== 1 && Date.now() < deadline; await sleep(50)) seen = await watchers();
  assert.equal(seen, 1, "the SDK watches again");

  await sleep(3_000); // longer than the orphan grace
  const state = (await direct.environments.getEnvironment({ environmentId: env.id })).environment?.state;
  assert.equal(state, EnvironmentState.UP);
  assert.equal(await (await fetch(env.url("ping"))).text(), "pong");
  const stopped = await env.down();
  assert.equal(stopped.reason, "destroyed");
});
