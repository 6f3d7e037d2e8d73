/**
 * `rig` CLI time to first line (issue 11) over a RIG_DIR of 1,000 recorded runs: the
 * CLI must stream, so its first line should come about one Node start after the spawn,
 * whatever the number of runs. Runs are copies of the six runs recorded through a real
 * rigd (`cli/testdata/runs/`), each under its own id and time; one run in the middle
 * is renamed `NeedleRun` and one has 20,000 HTTP calls (`BigTraffic`, the oldest).
 *
 * Each case spawns `node server/dist/cli/rig.js ...` with stdout piped and measures
 * spawn -> first stdout byte and spawn -> exit; the floor is `node -e` printing one line.
 * Medians of --runs (default 7) interleaved rounds. Prints figures, asserts nothing.
 *
 *   node server/dist/bench/cli-bench.js [--runs 7] [--count 1000]
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({ options: { runs: { type: "string", default: "7" }, count: { type: "string", default: "1000" } } });
const ROUNDS = Number(values.runs);
const COUNT = Number(values.count);
const RIG = fileURLToPath(new URL("../cli/rig.js", import.meta.url));
const RECORDED = fileURLToPath(new URL("../../src/cli/testdata/runs/", import.meta.url));

/** Builds the RIG_DIR: COUNT runs, newest first every second apart. */
function buildRigDir(count: number): string {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-cli-bench-"));
  const logs = join(rigDir, "logs");
  mkdirSync(logs);
  const sources = readdirSync(RECORDED).map((id) => ({ id, text: readFileSync(join(RECORDED, id, "events.jsonl"), "utf8") }));
  const now = Date.now();
  for (let i = 0; i < count; i++) {
    const source = sources[i % sources.length]!;
    const prefix = source.id.replace(/-[0-9a-f]+$/, "");
    let text = source.text;
    let id = `${prefix}-${i.toString(16).padStart(8, "0")}`;
    if (i === Math.floor(count / 2)) {
      id = `needlerun-${i.toString(16).padStart(8, "0")}`;
      text = text.replace(/"name":"[^"]+"/, '"name":"NeedleRun"');
    }
    if (i === count - 1) {
      id = `bigtraffic-${i.toString(16).padStart(8, "0")}`;
      text = bigTraffic(sources.find((s) => s.id.startsWith("checkoutpasses-"))!.text);
    }
    const dir = join(logs, id);
    mkdirSync(dir);
    writeFileSync(join(dir, "events.jsonl"), text);
    const at = new Date(now - i * 1000);
    utimesSync(dir, at, at);
  }
  return rigDir;
}

/** The passing run with its first HTTP call repeated 20,000 times before environment.down. */
function bigTraffic(text: string): string {
  const lines = text.trimEnd().split("\n");
  const created = lines[0]!.replace(/"name":"[^"]+"/, '"name":"BigTraffic"');
  const call = lines.find((l) => l.includes('"requestCompleted"'))!;
  const calls = Array.from({ length: 20_000 }, () => call).join("\n");
  return `${[created, ...lines.slice(1, -1), calls, lines.at(-1)].join("\n")}\n`;
}

interface Timing {
  firstMs: number;
  exitMs: number;
  lines: number;
}

function time(args: string[], env: NodeJS.ProcessEnv): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"] });
    let firstMs = -1;
    let lines = 0;
    child.stdout.on("data", (d: Buffer) => {
      if (firstMs < 0) firstMs = Number(process.hrtime.bigint() - start) / 1e6;
      for (const b of d) if (b === 10) lines++;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (code !== 0) reject(new Error(`${args.join(" ")} exited with ${code}`));
      else resolve({ firstMs, exitMs: Number(process.hrtime.bigint() - start) / 1e6, lines });
    });
  });
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const rigDir = buildRigDir(COUNT);
const smallRigDir = buildRigDir(10);
try {
  const env = { ...process.env, RIG_DIR: rigDir, NO_COLOR: "1", RIG_SERVER: "" };
  const small = { ...env, RIG_DIR: smallRigDir };
  const cases: [string, string[], NodeJS.ProcessEnv?][] = [
    ["node -e (floor: Node start + one line)", ["-e", "console.log('x')"]],
    ["rig ls (10 runs, for comparison)", [RIG, "ls"], small],
    [`rig ls (${COUNT} runs)`, [RIG, "ls"]],
    ["rig ls --failed -n 5", [RIG, "ls", "--failed", "-n", "5"]],
    ["rig ls --json", [RIG, "ls", "--json"]],
    ["rig traffic CheckoutPasses (newest match)", [RIG, "traffic", "CheckoutPasses"]],
    [`rig traffic NeedleRun (run ${COUNT / 2} of ${COUNT})`, [RIG, "traffic", "NeedleRun"]],
    ["rig traffic BigTraffic (oldest, 20,000 calls)", [RIG, "traffic", "BigTraffic"]],
    ["rig traffic BigTraffic --status 5xx (no match)", [RIG, "traffic", "BigTraffic", "--status", "5xx"]],
  ];
  const results = new Map<string, Timing[]>(cases.map(([name]) => [name, []]));
  for (const [, args, e] of cases) await time(args, e ?? env); // warm the page cache and V8's compile cache
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, args, e] of round % 2 ? [...cases].reverse() : cases) results.get(name)!.push(await time(args, e ?? env));
    process.stderr.write(".");
  }
  process.stderr.write("\n");
  const width = Math.max(...cases.map(([n]) => n.length));
  console.log(`${"case".padEnd(width)}  first line  all output   lines   (medians of ${ROUNDS})`);
  for (const [name] of cases) {
    const t = results.get(name)!;
    const first = t.every((x) => x.firstMs < 0) ? "-" : `${median(t.map((x) => x.firstMs)).toFixed(1)} ms`;
    console.log(`${name.padEnd(width)}  ${first.padStart(10)}  ${`${median(t.map((x) => x.exitMs)).toFixed(1)} ms`.padStart(10)}  ${String(t[0]!.lines).padStart(6)}`);
  }
} finally {
  rmSync(rigDir, { recursive: true, force: true });
  rmSync(smallRigDir, { recursive: true, force: true });
}
