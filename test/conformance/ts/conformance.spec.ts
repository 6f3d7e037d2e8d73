/**
 * The conformance scenario of test/conformance/README.md, in TypeScript, on the SDK in
 * clients/ts (its build in clients/ts/dist), against a real rigd (RIG_SERVER, or one the
 * SDK finds or starts). Node runs this file as is (type stripping):
 * `node --test test/conformance/ts/conformance.spec.ts`.
 */
import assert from "node:assert/strict";
import { existsSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { rig, RigEnvironmentError } from "../../../clients/ts/dist/index.js";
import type { Event, FuncContext, HookContext, StartedEnvironment, StoppedEnvironment } from "../../../clients/ts/dist/index.js";
import { connectRigd } from "../../../clients/ts/dist/daemon/auto-start.js";
import { CallbackKind, DownReason } from "../../../clients/ts/dist/gen/rig/v1/event_pb.js";

const LANGUAGE = "ts";
const GREETING = "hello from greeter";
const WEB = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "service", "web.mjs");

async function get(url: string): Promise<string> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const body = await response.text();
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}: ${body}`);
  return body;
}

/** The func service: GET /greeting answers GREETING; it records its stop. */
function greeter(stopped: { value: boolean }) {
  return async (ctx: FuncContext): Promise<() => Promise<void>> => {
    const server = http.createServer((req, res) => res.end(req.url === "/greeting" ? GREETING : "ok"));
    const ingress = ctx.wiring.ingress();
    await new Promise<void>((resolve, reject) => server.once("error", reject).listen(ingress.port, ingress.host, resolve));
    ctx.log.log(`greeter: serving on ${ingress.host}:${(server.address() as AddressInfo).port}`);
    return async () => {
      stopped.value = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    };
  };
}

test("conformance scenario", async () => {
  const prefix = `conformance-${LANGUAGE}`;
  let initRan = false;
  const greeterStopped = { value: false };

  const env: StartedEnvironment<"greeter" | "web"> = await rig.up(
    {
      greeter: rig.func(greeter(greeterStopped)).init(async (h: HookContext) => {
        // Init runs once the service is healthy: it answers already.
        assert.equal(await get(`${h.wiring.ingress().url}/greeting`), GREETING);
        initRan = true;
      }),
      web: rig
        .process("node", WEB)
        .egress("greeter")
        .prestart(async (h: HookContext) => {
          assert.deepEqual([h.service, h.phase], ["web", "prestart"]);
          const own = h.wiring.ingress();
          assert.ok(own.port > 0 && own.protocol === "http", `bad own ingress ${JSON.stringify(own)}`);
          // Egress targets are ready before prestart: the greeter answers through it.
          assert.equal(await get(`${h.wiring.egress("greeter").url}/greeting`), GREETING);
          assert.ok(statSync(h.wiring.tempDir).isDirectory());
          writeFileSync(path.join(h.wiring.tempDir, "prefix.txt"), `${prefix}\n`);
        }),
    },
    { name: `conformance-${LANGUAGE}` },
  );
  const events: Event[] = [];
  const watching = (async () => {
    for await (const event of env.events()) events.push(event);
  })();

  let stopped: StoppedEnvironment;
  try {
    // The process read the file its prestart hook wrote and calls greeter over its egress.
    assert.equal(await get(`${env.url("web")}/`), `${prefix} ${GREETING}`);
    assert.ok(initRan, "the init hook of greeter did not run");
  } finally {
    stopped = await env.down({ reason: "conformance done" });
  }
  await watching; // the replayed stream ends with environment.down
  assert.ok(greeterStopped.value, "greeter was not stopped at teardown");
  checkEventOrder(events);
  await checkCleanDestroy(env, stopped, events);
});

test("conformance: a failing hook", async () => {
  const failure = await rig
    .up(
      {
        web: rig.process("node", WEB).prestart(() => {
          throw new Error("conformance: prestart refused");
        }),
      },
      { name: `conformance-failing-${LANGUAGE}` },
    )
    .then(
      () => assert.fail("the environment came up"),
      (err: unknown) => err,
    );
  assert.ok(failure instanceof RigEnvironmentError, `want a RigEnvironmentError, got ${String(failure)}`);
  assert.deepEqual([failure.reason, failure.failedService], ["failed", "web"]);
  for (const want of ["web", "prestart", "conformance: prestart refused"]) {
    assert.ok(failure.message.includes(want), `error does not mention "${want}": ${failure.message}`);
  }
});

/**
 * The documented order (README, "Events"): seq rising from 1 (service.log events are
 * not watched, so there are gaps), and each chain in order.
 */
function checkEventOrder(events: readonly Event[]): void {
  assert.equal(events[0]?.seq, 1n);
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.seq > events[i - 1]!.seq, "seq must rise");

  const at = (type: string, service = "", kind?: CallbackKind): number => {
    const i = events.findIndex(
      (e) =>
        e.type === type &&
        e.service === service &&
        (kind === undefined || (e.payload.case === "callbackRequest" && e.payload.value.kind === kind)),
    );
    assert.ok(i >= 0, `no ${type} event for "${service}"`);
    return i;
  };
  const chains: [string, string][][] = [
    [["environment.created", ""], ["ingress.published", "greeter"], ["wiring.resolved", "greeter"], ["service.starting", "greeter"],
      ["service.healthy", "greeter"], ["service.init", "greeter"], ["service.ready", "greeter"]],
    [["service.ready", "greeter"], ["wiring.resolved", "web"], ["service.prestart", "web"], ["service.starting", "web"],
      ["service.healthy", "web"], ["service.ready", "web"], ["environment.up", ""]],
    [["environment.up", ""], ["environment.destroying", ""], ["service.stopping", "web"], ["service.stopped", "web"],
      ["service.stopping", "greeter"], ["service.stopped", "greeter"], ["environment.down", ""]],
  ];
  for (const chain of chains) {
    const indexes = chain.map(([type, service]) => at(type, service));
    assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b), `out of order: ${JSON.stringify(chain)}`);
  }
  const between = (what: string, i: number, lo: number, hi: number): void =>
    assert.ok(lo < i && i < hi, `${what} at event ${i}, want between ${lo} and ${hi}`);
  between("web prestart callback", at("callback.request", "web", CallbackKind.HOOK), at("wiring.resolved", "web"), at("service.prestart", "web"));
  between("greeter start callback", at("callback.request", "greeter", CallbackKind.START), at("wiring.resolved", "greeter"), at("service.healthy", "greeter"));
  between("greeter init callback", at("callback.request", "greeter", CallbackKind.HOOK), at("service.healthy", "greeter"), at("service.init", "greeter"));
  const last = events.at(-1)!;
  assert.equal(last.type, "environment.down");
  assert.ok(last.payload.case === "environmentDown" && last.payload.value.reason === DownReason.DESTROYED);
}

/**
 * Nothing is left: the process is gone, the dirs are removed, the logs are written and
 * rigd no longer lists the environment.
 */
async function checkCleanDestroy(env: StartedEnvironment<string>, stopped: StoppedEnvironment, events: readonly Event[]): Promise<void> {
  const starting = events.find((e) => e.type === "service.starting" && e.service === "web")?.payload;
  const pid = starting?.case === "serviceStarting" ? starting.value.pid : 0;
  assert.ok(pid > 0, "service.starting of web carries no pid");
  assert.throws(() => process.kill(pid, 0), { code: "ESRCH" }, "web still runs after destroy");
  assert.equal(stopped.preserved, false);
  for (const [name, dir] of Object.entries(stopped.tempDirs)) assert.ok(!existsSync(dir), `temp dir of ${name} (${dir}) still exists`);
  for (const file of [stopped.logPath, stopped.eventLogPath]) assert.ok(statSync(file).size > 0, `log ${file} is empty`);
  assert.equal(stopped.reason, "destroyed");
  const listed = await (await connectRigd({ server: env.server })).environments.listEnvironments({});
  assert.ok(!listed.environments.some((e) => e.id === env.id), `rigd still lists ${env.id} after destroy`);
}
