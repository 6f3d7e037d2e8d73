/**
 * Golden output of every `rig` command on runs recorded through a real rigd
 * (`testdata/runs/`, re-recorded by `testdata/record-runs-main.ts`): a passing run with
 * HTTP and TCP traffic, a crashed service, a readiness timeout, HTTP 500s with a failed
 * assertion, a failed gRPC call, a stall. Output is normalised (testdata/cli-harness.ts);
 * `UPDATE_GOLDEN=1` rewrites the files in src/cli/testdata/golden/.
 */
process.env.TZ = "UTC";

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { GOLDEN_DIR, normalize, rig, rigDirWithRuns } from "./testdata/cli-harness.js";

const rigDir = rigDirWithRuns();
after(() => rmSync(rigDir, { recursive: true, force: true }));
const env = { RIG_DIR: rigDir, NO_COLOR: "1" };
const crashId = readdirSync(join(rigDir, "logs")).find((id) => id.startsWith("crashonstart-"))!;

const CASES: Record<string, string[]> = {
  "ls": ["ls"],
  "ls-failed": ["ls", "--failed"],
  "ls-passed-n1": ["ls", "--passed", "-n", "1"],
  "ls-quiet": ["ls", "-q"],
  "ls-json": ["ls", "--json"],
  "ls-filter": ["ls", "orders"],
  "traffic-checkout": ["traffic", "CheckoutPasses"],
  "traffic-edge": ["traffic", "checkout", "--edge", "web->db"],
  "traffic-5xx": ["traffic", "orders", "--status", "5xx"],
  "traffic-detail-http": ["traffic", "orders", "--detail", "2"],
  "traffic-grpc-errors": ["traffic", "echo", "--grpc", "--status", "error"],
  "traffic-detail-grpc": ["traffic", "echo", "--detail", "1"],
  "traffic-json": ["traffic", "checkout", "--json"],
  "logs-checkout": ["logs", "checkout"],
  "logs-grep": ["logs", "orders", "--service", "api", "--grep", "orders"],
  "explain-passed": ["explain", "checkout"],
  "explain-crash": ["explain", "crash"],
  "explain-readiness-timeout": ["explain", "readiness"],
  "explain-http-500": ["explain", "orders"],
  "explain-grpc": ["explain", "echo"],
  "explain-stall": ["explain", "stall"],
  "explain-crash-json": ["explain", "crash", "--json"],
  "events-crash": ["events", "crash"],
  "no-such-run": ["logs", "nosuchrun"],
  "bad-flag": ["traffic", "checkout", "--status"],
  "no-such-call": ["traffic", "checkout", "--detail", "99"],
};

for (const [name, argv] of Object.entries(CASES)) {
  test(`rig ${argv.join(" ")}`, async () => {
    const result = await rig(argv, env);
    const actual = normalize(
      `$ rig ${argv.join(" ")}\n${result.stdout}${result.stderr ? `--- stderr\n${result.stderr}` : ""}--- exit ${result.code}\n`,
      rigDir,
    );
    const file = join(GOLDEN_DIR, `${name}.txt`);
    if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
      mkdirSync(GOLDEN_DIR, { recursive: true });
      writeFileSync(file, actual);
      if (!process.env.UPDATE_GOLDEN) assert.fail(`wrote missing golden file ${file}; check it and run again`);
      return;
    }
    assert.equal(actual, readFileSync(file, "utf8"), `golden ${file} (UPDATE_GOLDEN=1 rewrites it)`);
  });
}

test("rig events --json prints the recorded lines as they are", async () => {
  const { stdout, code } = await rig(["events", "crash", "--json"], env);
  assert.equal(code, 0);
  const lines = stdout.trimEnd().split("\n");
  const recorded = readFileSync(join(rigDir, "logs", crashId, "events.jsonl"), "utf8").trimEnd().split("\n");
  assert.deepEqual(lines, recorded);
});

test("colour on a terminal, none with NO_COLOR or when piped", async () => {
  const esc = "\u001b[";
  assert.ok((await rig(["ls"], { RIG_DIR: rigDir }, true)).stdout.includes(esc), "a TTY gets colour");
  assert.ok(!(await rig(["ls"], { RIG_DIR: rigDir, NO_COLOR: "1" }, true)).stdout.includes(esc), "NO_COLOR wins");
  assert.ok(!(await rig(["ls"], { RIG_DIR: rigDir }, false)).stdout.includes(esc), "piped: none");
  assert.ok((await rig(["explain", "crash"], { RIG_DIR: rigDir, FORCE_COLOR: "1" }, false)).stdout.includes(esc), "FORCE_COLOR");
});

test("a run path works as RUN, -q output feeds back in", async () => {
  const { stdout } = await rig(["ls", "-q", "--failed", "-n", "1"], env);
  const path = stdout.trim();
  const { stdout: explained, code } = await rig(["explain", path], env);
  assert.equal(code, 0);
  assert.match(explained, /outcome {3}failed/);
});

test("usage: no command, help, unknown command", async () => {
  assert.equal((await rig([], env)).code, 2);
  const help = await rig(["--help"], env);
  assert.equal(help.code, 0);
  for (const command of ["ls", "ps", "logs", "traffic", "explain", "events", "down", "prune"]) assert.match(help.stdout, new RegExp(`rig ${command}\\b`));
  const unknown = await rig(["lss"], env);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "lss"/);
});

test("rig prune removes runs older than the cut-off and keeps newer ones", async () => {
  const dir = rigDirWithRuns();
  try {
    const dry = await rig(["prune", "--older-than", "1d", "--dry-run"], { RIG_DIR: dir, NO_COLOR: "1" });
    assert.equal(dry.code, 0);
    assert.equal(dry.stdout.match(/would remove run log/g)?.length, 6);
    assert.ok(existsSync(join(dir, "logs", crashId)));
    // The harness clock says 2030: the recorded runs are older than a day, not than a century.
    const kept = await rig(["prune", "--older-than", "36500d"], { RIG_DIR: dir, NO_COLOR: "1" });
    assert.match(kept.stdout, /nothing to prune/);
    const pruned = await rig(["prune", "--older-than", "1d"], { RIG_DIR: dir, NO_COLOR: "1" });
    assert.equal(pruned.stdout.match(/removed run log/g)?.length, 6);
    assert.equal((await rig(["ls"], { RIG_DIR: dir })).stdout, "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
