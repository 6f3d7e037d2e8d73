/**
 * A test process for the signal tests: brings up a process service (an HTTP server that
 * writes its pid to RIG_FIXTURE_PIDFILE), prints `{"id", "server"}` as one JSON line and
 * waits to be signalled. RIG_FIXTURE_MODE=node-test does the same inside a node:test
 * test with `rig.up(t, ...)`; "own-handler" first installs its own SIGTERM listener,
 * which prints "own handler ran" and exits with code 7.
 */
import { test } from "node:test";
import { rig } from "../index.js";
import type { TestContextLike } from "../index.js";

const server =
  "require('fs').writeFileSync(process.env.RIG_FIXTURE_PIDFILE, String(process.pid));" +
  "require('http').createServer((q, s) => s.end('up')).listen(+process.env.PORT, process.env.HOST)";
const services = { web: rig.process(process.execPath, "-e", server).ingress("default", { protocol: "http" }) };

async function upAndWait(t?: TestContextLike): Promise<void> {
  const env = t ? await rig.up(t, services) : await rig.up(services, { name: "signalled" });
  process.stdout.write(`${JSON.stringify({ id: env.id, server: env.server })}\n`);
  await new Promise(() => setInterval(() => {}, 1_000));
}

if (process.env.RIG_FIXTURE_MODE === "own-handler") {
  process.on("SIGTERM", () => {
    process.stdout.write("own handler ran\n");
    process.exit(7);
  });
}
if (process.env.RIG_FIXTURE_MODE === "node-test") test("waits to be signalled", (t) => upAndWait(t));
else await upAndWait();
