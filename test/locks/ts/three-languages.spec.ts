/**
 * The three-language lock proof (test/locks/README.md): 6 processes, 2 TypeScript, 2 Go,
 * 2 Python, started together, take exclusive and shared locks on one resource (max
 * parallelism 2) through rigd, each appending enter/leave records with wall-clock
 * timestamps to one file. No exclusive interval may overlap any other interval, at most
 * 2 shared ones may overlap, and the resource's init runs exactly once across them.
 *
 * Uses rigd from RIG_SERVER/RIG_TOKEN (scripts/test-clients.sh), else starts its own in a
 * temp RIG_DIR. LOCKS_PYTHON is the Python with grpcio (default .tools/venv/bin/python).
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const LOCKS = path.dirname(HERE);
const ROOT = path.resolve(LOCKS, "..", "..");
const PYTHON = process.env.LOCKS_PYTHON ?? path.join(ROOT, ".tools", "venv", "bin", "python");

interface Interval {
  worker: string;
  mode: "x" | "s";
  enter: bigint;
  leave: bigint;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
  });
}

/** A rigd for the test: the one RIG_SERVER names, else one of our own. */
async function useRigd(scratch: string): Promise<{ env: Record<string, string>; stop: () => Promise<void> }> {
  if (process.env.RIG_SERVER) return { env: {}, stop: async () => {} };
  const rigDir = path.join(scratch, "rig");
  const addrFile = path.join(scratch, "rigd.addr");
  const rigd = spawn(process.execPath, [path.join(ROOT, "server", "dist", "main.js"), "--rig-dir", rigDir, "--addr-file", addrFile, "--idle", "0"], { stdio: "ignore" });
  for (let i = 0; i < 600 && !existsSync(addrFile); i++) await sleep(50);
  assert.ok(existsSync(addrFile), "rigd did not start");
  await sleep(20);
  const addr = readFileSync(addrFile, "utf8").trim();
  const token = readFileSync(path.join(scratch, "rigd.token"), "utf8").trim();
  return {
    env: { RIG_SERVER: addr, RIG_TOKEN: token, RIG_DIR: rigDir },
    stop: async () => {
      rigd.kill("SIGTERM");
      await exited(rigd);
    },
  };
}

test("6 processes in 3 languages: exclusive alone, at most 2 shared, init once", { timeout: 240_000 }, async () => {
  const scratch = mkdtempSync(path.join(os.tmpdir(), "rig-locks-3lang-"));
  const rigd = await useRigd(scratch);
  try {
    const goWorker = path.join(scratch, "go-worker");
    const built = spawnSync("go", ["build", "-o", goWorker, "."], { cwd: path.join(LOCKS, "go"), encoding: "utf8" });
    assert.equal(built.status, 0, `go build: ${built.stderr}`);

    const dir = path.join(scratch, "run");
    spawnSync("mkdir", ["-p", dir]);
    const resource = `three-languages-${process.pid}-${Date.now()}`;
    const workers: Array<{ id: string; argv: string[] }> = [
      { id: "ts-1", argv: [process.execPath, path.join(HERE, "worker.ts")] },
      { id: "ts-2", argv: [process.execPath, path.join(HERE, "worker.ts")] },
      { id: "go-1", argv: [goWorker] },
      { id: "go-2", argv: [goWorker] },
      { id: "python-1", argv: [PYTHON, path.join(LOCKS, "python", "worker.py")] },
      { id: "python-2", argv: [PYTHON, path.join(LOCKS, "python", "worker.py")] },
    ];
    const outputs = new Map<string, string>();
    const children = workers.map(({ id, argv }, i) => {
      const modes = Array.from({ length: 6 }, (_, round) => ((round + i) % 3 === 0 ? "x" : "s")).join(",");
      const child = spawn(argv[0]!, argv.slice(1), {
        env: { ...process.env, ...rigd.env, LOCKS_DIR: dir, LOCKS_ID: id, LOCKS_RESOURCE: resource, LOCKS_MODES: modes },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d));
      child.stderr!.on("data", (d: Buffer) => (out += d));
      child.on("exit", () => outputs.set(id, out));
      return { id, child };
    });
    try {
      // Start them together: every worker has its SDK loaded before the start signal.
      const readyFile = path.join(dir, "ready");
      for (let i = 0; i < 1200; i++) {
        const ready = existsSync(readyFile) ? readFileSync(readyFile, "utf8").split("\n").filter(Boolean).length : 0;
        if (ready === workers.length) break;
        if (children.some(({ child }) => child.exitCode !== null)) break;
        await sleep(25);
      }
      writeFileSync(path.join(dir, "go"), "");
      const codes = await Promise.all(children.map(({ child }) => exited(child)));
      codes.forEach((code, i) => assert.equal(code, 0, `${workers[i]!.id} exited ${code}:\n${outputs.get(workers[i]!.id) ?? ""}`));
    } finally {
      for (const { child } of children) if (child.exitCode === null) child.kill("SIGKILL");
    }

    // init exactly once across the 6 processes.
    const inits = readFileSync(path.join(dir, "init"), "utf8").split("\n").filter(Boolean);
    assert.equal(inits.length, 1, `init ran ${inits.length} times: ${inits.join(", ")}`);

    // Pair the records into intervals.
    const open = new Map<string, { mode: "x" | "s"; enter: bigint }>();
    const intervals: Interval[] = [];
    for (const line of readFileSync(path.join(dir, "records"), "utf8").split("\n").filter(Boolean)) {
      const [kind, worker, mode, ns] = line.split(" ") as [string, string, "x" | "s", string];
      if (kind === "enter") {
        assert.ok(!open.has(worker), `${worker} entered twice: ${line}`);
        open.set(worker, { mode, enter: BigInt(ns) });
      } else {
        const o = open.get(worker);
        assert.ok(o && o.mode === mode, `leave without enter: ${line}`);
        open.delete(worker);
        intervals.push({ worker, mode, enter: o.enter, leave: BigInt(ns) });
      }
    }
    assert.equal(open.size, 0, "a worker never left");
    assert.equal(intervals.length, workers.length * 6, "every worker recorded 6 holds");
    for (const lang of ["ts", "go", "python"]) {
      assert.ok(intervals.some((i) => i.worker.startsWith(lang) && i.mode === "x"), `${lang} held exclusive`);
      assert.ok(intervals.some((i) => i.worker.startsWith(lang) && i.mode === "s"), `${lang} held shared`);
    }

    // No exclusive interval overlaps any other interval.
    const overlaps = (a: Interval, b: Interval): boolean => a.enter < b.leave && b.enter < a.leave;
    for (const x of intervals.filter((i) => i.mode === "x")) {
      for (const other of intervals) {
        if (other === x) continue;
        assert.ok(!overlaps(x, other), `exclusive ${x.worker} [${x.enter}, ${x.leave}] overlaps ${other.mode} ${other.worker} [${other.enter}, ${other.leave}]`);
      }
    }
    // At most 2 shared holders at once (a sweep over the shared intervals' edges).
    const edges = intervals
      .filter((i) => i.mode === "s")
      .flatMap((i) => [
        { t: i.enter, d: 1 },
        { t: i.leave, d: -1 },
      ])
      .sort((a, b) => (a.t < b.t ? -1 : a.t > b.t ? 1 : a.d - b.d));
    let inside = 0;
    let peak = 0;
    for (const e of edges) peak = Math.max(peak, (inside += e.d));
    assert.ok(peak <= 2, `${peak} shared holders at once, max parallelism 2`);
    console.log(`# ${intervals.length} holds (${intervals.filter((i) => i.mode === "x").length} exclusive), peak shared ${peak}, init by ${inits[0]}`);
  } finally {
    await rigd.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
});
