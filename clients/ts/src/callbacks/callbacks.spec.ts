/**
 * Closures run through the callback protocol against a real rigd (SPEC §8): hooks get
 * the wiring and can fail `up`; funcs run as services, ship their output, stop with
 * their signal, and fail the environment when they crash; a callback that outlives the
 * callback timeout fails with a clear error.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { RigEnvironmentError, rig } from "../index.js";
import type { Event, FuncContext, HookContext } from "../index.js";
import { httpFunc } from "../test-fixtures/http-func.js";
import type { IsolatedRigDir } from "../testing/isolated-rig-dir.js";
import { isolatedRigDir } from "../testing/isolated-rig-dir.js";

let rigDir: IsolatedRigDir;
before(async () => {
  rigDir = await isolatedRigDir();
});
after(() => rigDir.dispose());

test("hooks run in the test process with the wiring, in order", async (t) => {
  const calls: string[] = [];
  let prestart: HookContext | undefined;
  const env = await rig.up(t, {
    backend: httpFunc("backend"),
    front: httpFunc("front")
      .egress("backend")
      .prestart(async (ctx) => {
        prestart = ctx;
        calls.push("prestart");
        await writeFile(join(ctx.wiring.tempDir, "config.json"), "{}");
      })
      .init(async ({ wiring, phase }) => {
        calls.push(phase);
        // Healthy already: the service answers before init runs.
        assert.equal(await (await fetch(wiring.ingress().url)).text(), "front");
      }),
  }, { observe: false }); // direct wiring: the hook's egress is the test's endpoint
  assert.deepEqual(calls, ["prestart", "init"]);
  assert.equal(prestart?.service, "front");
  assert.equal(prestart?.phase, "prestart");
  assert.equal(prestart?.wiring.egress("backend").port, env.endpoint("backend").port);
  assert.ok(existsSync(join(prestart.wiring.tempDir, "config.json")));
  const vars = prestart.wiring.env();
  assert.equal(vars.BACKEND_PORT, String(env.endpoint("backend").port));
  assert.equal(vars.RIG_SERVICE, "front");
  assert.throws(() => prestart?.wiring.egress("db"), /service "front" has no egress "db" \(it has "backend"\)/);
});

test("a hook that throws fails up with its message", async () => {
  const up = rig.up({
    api: httpFunc().prestart(() => {
      throw new Error("seed data missing: fixtures/orders.json");
    }),
  });
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigEnvironmentError, String(err));
    assert.equal(err.failedService, "api");
    assert.match(err.message, /service "api" failed.*seed data missing: fixtures\/orders\.json/);
    assert.match(err.message, /full log: .+rig\.log/);
    return true;
  });
});

test("a func that fails to start fails up with its message", async () => {
  const up = rig.up({
    api: rig.func(async () => {
      await Promise.resolve();
      throw new Error("port already taken");
    }),
  });
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigEnvironmentError, String(err));
    assert.equal(err.failedService, "api");
    assert.match(err.message, /port already taken/);
    return true;
  });
});

test("func output arrives as service.log; the func stops with its signal", async () => {
  let context: FuncContext | undefined;
  const env = await rig.up({
    chatty: httpFunc("ok", {
      onStart: (ctx) => {
        context = ctx;
        ctx.log.info("started on port %d", ctx.wiring.ingress().port);
        ctx.log.error(new Error("just a warning shown as an error"));
        ctx.log.stdout.write("partial ");
        ctx.log.stdout.write("line\n");
      },
    }),
  }, { observe: false }); // direct wiring: the func's own port is the test's endpoint
  const logs: string[] = [];
  for await (const event of env.events({ includeLogs: true })) {
    if (event.payload.case === "serviceLog") logs.push(`${event.service}: ${event.payload.value.line}`);
    if (logs.some((l) => l.endsWith("partial line"))) break;
  }
  assert.ok(logs.includes(`chatty: started on port ${env.endpoint("chatty").port}`), logs.join("\n"));
  assert.ok(logs.some((l) => l.startsWith("chatty: Error: just a warning shown as an error")), logs.join("\n"));
  assert.equal(context?.signal.aborted, false);
  await env.down();
  assert.equal(context?.signal.aborted, true);
});

test("a func that crashes after start fails the environment with its message", async () => {
  let crash: (err: Error) => void = () => {};
  const env = await rig.up({
    web: httpFunc("web"),
    flaky: rig.func(
      ({ signal }) =>
        new Promise<void>((_resolve, reject) => {
          crash = reject;
          signal.addEventListener("abort", () => reject(signal.reason));
        }),
    ).noIngress(),
  });
  crash(new Error("lost connection to the payment provider"));
  const down = await waitFor(env.events(), "environment.down");
  assert.equal(down.payload.case, "environmentDown");
  if (down.payload.case !== "environmentDown") return;
  assert.equal(down.payload.value.failedService, "flaky");
  assert.match(down.payload.value.error, /lost connection to the payment provider/);
  const stopped = await env.down();
  assert.equal(stopped.reason, "failed");
  assert.equal(stopped.failedService, "flaky");
  assert.match(stopped.error ?? "", /lost connection to the payment provider/);
});

test("a hook that outlives the callback timeout fails up with a clear error", async () => {
  let aborted = false;
  const up = rig.up(
    {
      slow: httpFunc().init(
        ({ signal }) =>
          new Promise<void>((resolve) =>
            signal.addEventListener("abort", () => {
              aborted = true;
              resolve();
            }),
          ),
      ),
    },
    { callbackTimeout: "1s" },
  );
  await assert.rejects(up, (err: Error) => {
    assert.ok(err instanceof RigEnvironmentError, String(err));
    assert.equal(err.failedService, "slow");
    assert.match(err.message, /init hook "slow\.init\.0" got no answer within 1s/);
    assert.match(err.message, /note: closure "slow\.init\.0" was still running in this test process after 1\.\ds \(if rigd timed it out/);
    return true;
  });
  assert.equal(aborted, true, "the hook's signal aborted when the environment went down");
});

async function waitFor(events: AsyncIterable<Event>, type: string): Promise<Event> {
  for await (const event of events) if (event.type === type) return event;
  throw new Error(`the stream ended without ${type}`);
}
