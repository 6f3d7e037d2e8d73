/**
 * Thousands of generated specs, valid and hostile, against one real rigd (fast-check,
 * seeded so a failure replays, bounded in count and time): rigd never crashes, never
 * answers INTERNAL, never hangs, and leaves nothing running once the environments are
 * destroyed. Plus the malformed requests a hostile client sends below the spec level.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import fc from "fast-check";
import { Code, ConnectError } from "@connectrpc/connect";
import { collectEvents, eventually, leftoverTempDirs, processesWith, spec, startRigd, type Rigd } from "../testing/rigd-harness.js";

const run = promisify(execFile);
let rigd: Rigd;

before(async () => {
  rigd = await startRigd(["--limit", "services=40", "--limit", "value-length=2000"]);
});
after(async () => {
  await rigd.stop();
});

const names = fc.oneof(
  fc.constantFrom("a", "b", "c", "db", "api", "x-1", "web_2"),
  fc.string({ maxLength: 12 }),
  fc.constantFrom("", "A", "~test", "../../evil", "a".repeat(70), "ümlaut", "a b"),
);

const durations = fc.oneof(
  fc.constant(undefined),
  fc.record({ seconds: fc.bigInt({ min: -5n, max: 10n ** 12n }), nanos: fc.integer({ min: -2_000_000_000, max: 2_000_000_000 }) }),
);

/** A template-ish string: plain text, known and unknown variables, escapes, junk. */
const templated = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.constantFrom("${PORT}", "${HOST}:${PORT}", "$${x}", "${NOPE}", "${", "}", "${A_PORT}", "x".repeat(3000)),
);

const config = fc.oneof(
  fc.record({ case: fc.constant("process" as const), value: fc.record({ command: fc.constantFrom("true", "sleep", "", "/no/such/bin", "sh"), args: fc.array(templated, { maxLength: 3 }), env: fc.dictionary(fc.string({ maxLength: 8 }), templated, { maxKeys: 2 }), stopGrace: durations }, { requiredKeys: ["command"] }) }),
  fc.record({ case: fc.constant("client" as const), value: fc.record({ startHandler: fc.string({ maxLength: 8 }) }) }),
  fc.record({ case: fc.constant("container" as const), value: fc.record({ image: fc.constantFrom("../../evil", "", "UPPER:1", "busybox:bad tag", "http://x/y", "a".repeat(300)) }) }),
  fc.record({ case: fc.constant("custom" as const), value: fc.record({ type: fc.constantFrom("", "process", "nope", "proxy", "test") }) }),
  fc.constant({ case: undefined }),
);

const service = fc.record({
  name: names,
  config,
  noIngress: fc.boolean(),
  ingresses: fc.array(
    fc.record({
      name: names,
      protocol: fc.integer({ min: -1, max: 9 }),
      containerPort: fc.integer({ min: 0, max: 70_000 }),
      attributes: fc.dictionary(fc.string({ maxLength: 6 }), templated, { maxKeys: 2 }),
      ready: fc.option(fc.record({ kind: fc.integer({ min: 0, max: 6 }), httpPath: fc.string({ maxLength: 6 }), timeout: durations, interval: durations })),
    }),
    { maxLength: 3 },
  ),
  egresses: fc.array(fc.record({ service: names, ingress: fc.oneof(fc.constant(""), names), name: fc.oneof(fc.constant(""), names) }), { maxLength: 3 }),
  init: fc.array(fc.oneof(fc.record({ action: fc.record({ case: fc.constant("sql" as const), value: fc.record({ statements: fc.array(fc.string(), { maxLength: 2 }) }) }) }), fc.constant({ action: { case: undefined } })), { maxLength: 2 }),
});

const specs = fc.record({
  name: fc.oneof(fc.constant(""), names),
  services: fc.array(service, { maxLength: 6 }),
  ttl: durations,
  orphanGrace: durations,
  stallTimeout: durations,
});

describe("generated specs", () => {
  it("never crash rigd, never get INTERNAL, never hang, and leave nothing running", { timeout: 240_000 }, async () => {
    const created: string[] = [];
    let accepted = 0;
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(specs, async (init) => {
        let built;
        try {
          built = spec(init as never);
        } catch {
          return; // not even a message: nothing to send
        }
        try {
          const res = await rigd.client.createEnvironment({ spec: built }, { timeoutMs: 10_000 });
          created.push(res.environmentId);
          accepted++;
        } catch (e) {
          const err = ConnectError.from(e);
          assert.notEqual(err.code, Code.Internal, `INTERNAL for a caller's mistake: ${err.message}`);
          assert.ok([Code.InvalidArgument, Code.ResourceExhausted].includes(err.code), `${Code[err.code]}: ${err.message}`);
          assert.ok(err.rawMessage.length < 20_000, `an error of ${err.rawMessage.length} characters`);
          rejected++;
        }
      }),
      { seed: 20261203, numRuns: 1500, interruptAfterTimeLimit: 150_000 },
    );
    assert.ok(rejected > 0, "some specs are rejected");
    // Whatever was accepted runs or fails on its own; destroy it all and check for leftovers.
    for (const environmentId of created) await rigd.client.destroyEnvironment({ environmentId });
    const { environments } = await rigd.client.listEnvironments({});
    assert.equal(environments.length, 0, "rigd still answers, and nothing is live");
    await eventually(() => processesWith(rigd.marker).length === 0 && leftoverTempDirs(rigd.rigDir).length === 0, 20_000, "no leftovers");
    assert.equal(rigd.child.exitCode, null, "rigd is still running");
    console.log(`# fuzz: ${accepted} accepted, ${rejected} rejected`);
  });
});

/**
 * Specs valid by construction (a DAG of small processes that may crash, hang, exit or
 * answer, with real templates), so the fuzz also runs environments, not only validation.
 */
const runnable = fc
  .array(
    fc.record({
      behaviour: fc.constantFrom(
        "exec python3 -m http.server $${PORT} --bind 127.0.0.1",
        "exec python3 -m http.server $${PORT} --bind 127.0.0.1",
        "exit 3",
        "yes | head -c 100000; sleep 30",
        "sleep 30",
      ),
      deps: fc.array(fc.nat(5), { maxLength: 2 }),
      ingress: fc.boolean(),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((nodes) => ({
    name: "runnable",
    services: nodes.map((n, i) => {
      // Only earlier services with an ingress can be egress targets: no cycles, no dangling edges.
      const targets = [...new Set(n.deps.filter((d) => d < i && nodes[d]!.ingress).map((d) => `s${d}`))];
      return {
        name: `s${i}`,
        ...(n.ingress
          ? { ingresses: [{ name: "default", protocol: 1, ready: { kind: 1, timeout: { seconds: 3n, nanos: 0 } } }] }
          : { noIngress: true }),
        egresses: targets.map((service) => ({ service })),
        config: { case: "process" as const, value: { command: "sh", args: ["-c", n.behaviour, rigd.marker] } },
      };
    }),
  }));

describe("generated runnable environments", () => {
  it("come up or fail with a summary, and destroy leaves nothing", { timeout: 240_000 }, async () => {
    let up = 0;
    let failed = 0;
    await fc.assert(
      fc.asyncProperty(runnable, async (init) => {
        const { environmentId } = await rigd.client.createEnvironment({ spec: spec(init as never) }, { timeoutMs: 10_000 });
        const events = await collectEvents(rigd, environmentId, undefined, { timeoutMs: 30_000 });
        const last = events.at(-1);
        if (last?.payload.case === "environmentDown") {
          failed++;
          assert.ok(last.payload.value.summary.length > 0);
        } else {
          assert.equal(last?.type, "environment.up");
          up++;
        }
        await rigd.client.destroyEnvironment({ environmentId });
      }),
      { seed: 20261204, numRuns: 20, interruptAfterTimeLimit: 45_000 },
    );
    await eventually(() => processesWith(rigd.marker).length === 0 && leftoverTempDirs(rigd.rigDir).length === 0, 20_000, "no leftovers");
    assert.ok(up > 0 && failed > 0, `both outcomes happen (${up} up, ${failed} failed)`);
    console.log(`# runnable fuzz: ${up} up, ${failed} failed`);
  });
});

describe("malformed requests", () => {
  it("bad JSON and a wrong content type get a clear answer, not INTERNAL", async () => {
    const cases: [string, string, RegExp][] = [
      ["application/json", "{\"spec\":", /invalid_argument/],
      ["application/json", JSON.stringify({ spec: { ttl: "-0.000000001s", services: [{ name: "a", process: { command: "true" } }] } }), /ttl: duration must not be negative/],
      ["text/plain", "{}", /does not speak content type "text\/plain"/],
    ];
    for (const [type, body, expected] of cases) {
      const { stdout } = await run("sh", [
        "-c",
        `printf '%s' "$BODY" | curl --silent --max-time 10 -H "content-type: ${type}" -H "authorization: Bearer ${rigd.token}" --data-binary @- http://${rigd.address}/rig.v1.EnvironmentService/CreateEnvironment`,
      ], { env: { ...process.env, BODY: body } });
      assert.match(stdout, expected, `${type} ${body.slice(0, 40)}: ${stdout}`);
      assert.doesNotMatch(stdout, /"internal"/);
    }
    const { environments } = await rigd.client.listEnvironments({});
    assert.equal(environments.length, 0);
  });
});
