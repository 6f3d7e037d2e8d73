/**
 * The `rig` executable against live environments of a real rigd: `rig ps`, `rig logs -f`
 * following a run until it goes down, `rig down` by name and `--all`, a run recorded in
 * this test explained, rigd found through RIG_DIR's addr and token files, and a missing
 * token refused.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { EnvironmentSpecSchema } from "../gen/rig/v1/spec_pb.js";
import { RIGD_MAIN, eventually, processesWith, startRigd, type Rigd } from "../testing/rigd-harness.js";
import { SCENARIOS } from "./testdata/recorded-runs.js";

const RIG = join(dirname(fileURLToPath(import.meta.url)), "rig.js");
const SERVICE = join(dirname(fileURLToPath(import.meta.url)), "testdata", "fixture-service.js");

let rigd: Rigd;
let env: NodeJS.ProcessEnv;
before(async () => {
  rigd = await startRigd();
  env = { ...process.env, RIG_DIR: rigd.rigDir, RIG_SERVER: rigd.address, RIG_TOKEN: rigd.token, NO_COLOR: "1" };
});
after(async () => {
  assert.deepEqual(processesWith(rigd.marker), [], "no service process left");
  await rigd.stop();
});

function rigSync(args: string[], e: NodeJS.ProcessEnv = env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [RIG, ...args], { env: e, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function upTicker(name: string): Promise<string> {
  const { environmentId } = await rigd.client.createEnvironment({
    spec: create(EnvironmentSpecSchema, {
      name,
      observe: true,
      services: [
        { name: "ticker", config: { case: "process", value: { command: process.execPath, args: [SERVICE, rigd.marker], env: { FIXTURE_MODE: "ticker" } } } },
      ],
    }),
  });
  for await (const { event } of rigd.client.watchEvents({ environmentId })) if (event?.type === "environment.up") break;
  return environmentId;
}

test("rig ps lists live environments with services, phases and endpoints", async () => {
  const id = await upTicker("LivePs");
  const ps = rigSync(["ps"]);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, new RegExp(`${id}  LivePs  up`));
  assert.match(ps.stdout, /ticker +process +ready +127\.0\.0\.1:\d+/);
  assert.doesNotMatch(ps.stdout, /~proxy|~test/, "internal nodes only with --all");
  assert.match(rigSync(["ps", "--all"]).stdout, /~test/);
  const json = rigSync(["ps", "--json"]).stdout.trim().split("\n").map((l) => JSON.parse(l) as { id: string; rigd: string });
  assert.ok(json.some((e) => e.id === id && e.rigd === rigd.address));
  const down = rigSync(["down", id]);
  assert.equal(down.code, 0, down.stderr);
  assert.match(down.stdout, new RegExp(`${id}  down`));
  assert.doesNotMatch(rigSync(["ps"]).stdout, new RegExp(id));
});

test("rig logs -f follows a live run and ends when rig down takes it down", async () => {
  const id = await upTicker("LiveFollow");
  const follower = spawn(process.execPath, [RIG, "logs", "LiveFollow", "-f", "--service", "ticker", "--grep", "tick"], { env });
  let out = "";
  follower.stdout.on("data", (d: Buffer) => (out += d.toString()));
  let err = "";
  follower.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => follower.once("exit", (code) => r(code)));
  await eventually(() => /tick 3\n/.test(out), 15_000, `rig logs -f to print tick 3 (stderr: ${err})`);
  assert.match(out, /^\d\d:\d\d:\d\d\.\d{3} ticker +\| tick 1$/m);
  const down = rigSync(["down", "LiveFollow"]);
  assert.equal(down.code, 0, down.stderr);
  assert.equal(await exited, 0, `rig logs -f exits once the run is down (stderr: ${err})`);
  const ls = rigSync(["ls", "LiveFollow"]);
  assert.match(ls.stdout, new RegExp(`passed .* LiveFollow  ${id}  \\[ticker\\]`));
});

test("rig down --all destroys every live environment", async () => {
  const ids = await Promise.all([upTicker("AllOne"), upTicker("AllTwo")]);
  const down = rigSync(["down", "--all"]);
  assert.equal(down.code, 0, down.stderr);
  for (const id of ids) assert.match(down.stdout, new RegExp(`${id}  down`));
  const { environments } = await rigd.client.listEnvironments({});
  for (const e of environments) assert.ok(!ids.includes(e.id) || e.state >= 5, `${e.id} is down`);
  assert.equal(rigSync(["down", "nosuchenv"]).code, 1);
});

test("a crash recorded now is explained from its log", async () => {
  await SCENARIOS["crash-on-start"]!(rigd.client);
  const explain = rigSync(["explain", "CrashOnStart"]);
  assert.equal(explain.code, 0, explain.stderr);
  assert.match(explain.stdout, /outcome {3}failed/);
  assert.match(explain.stdout, /failed {4}api while starting: exited with code 1/);
  assert.match(explain.stdout, /! panic: config key "db.url" is missing/);
  assert.match(rigSync(["ls", "--failed", "-q"]).stdout, /crashonstart-[0-9a-f]+\/events\.jsonl/);
});

test("without the token rigd refuses the CLI, and says how to give it", () => {
  const ps = rigSync(["ps"], { ...env, RIG_TOKEN: "" });
  assert.equal(ps.code, 1);
  assert.match(ps.stderr, /did not answer: .*unauthenticated/i);
});

test("rig finds rigd through RIG_DIR's addr and token files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "rig-cli-dir-"));
  const child = spawn(process.execPath, [RIGD_MAIN, "--rig-dir", dir, "--idle", "0"], { stdio: "ignore" });
  try {
    const version = (JSON.parse(readFileSync(join(dirname(RIGD_MAIN), "..", "package.json"), "utf8")) as { version: string }).version;
    await eventually(() => {
      try {
        return readFileSync(join(dir, `rigd-${version}.addr`), "utf8").trim() !== "";
      } catch {
        return false;
      }
    }, 20_000, "rigd's addr file");
    const ps = rigSync(["ps"], { ...process.env, RIG_DIR: dir, NO_COLOR: "1", RIG_SERVER: "", RIG_TOKEN: "" });
    assert.equal(ps.code, 0, ps.stderr);
    assert.equal(ps.stderr, "", "the rigd of the addr file answered, with the token beside it");
    assert.equal(ps.stdout, "");
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(dir, { recursive: true, force: true });
  }
});
