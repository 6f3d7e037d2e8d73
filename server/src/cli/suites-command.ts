/**
 * `rig suites`: the suites a rigd runs (schedule, next run, source).
 * `rig runs [SUITE] [-n N]`: suite runs, newest first; `rig runs RUN_ID` shows its tests.
 * `rig flaky [SUITE] [--last N]`: the flaky tests over each suite's last runs.
 * Through rigd's SuiteService, like any client.
 */
import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { durationMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { FlakyTestSchema, RunSchema, SuiteSchema } from "../gen/rig/v1/suite_service_pb.js";
import type { CliOutput } from "./cli-output.js";
import { dateTime, formatDurationMs } from "../diagnosis/duration-text.js";
import { flakyLine, printTests, runLine, suiteRigd } from "./suite-text.js";
import { UsageError } from "./usage-error.js";

/** Runs `rig suites`. */
export async function suitesCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" } } });
  if (positionals.length) throw new UsageError("rig suites takes no arguments");
  const rigd = await suiteRigd(out);
  if (!rigd) return 1;
  const { suites } = await rigd.suites.listSuites({}, { timeoutMs: 10_000 });
  if (values.json) {
    await out.line(JSON.stringify(suites.map((s) => toJson(SuiteSchema, s))));
    return 0;
  }
  if (!suites.length) {
    await out.line("no suites: add them to RIG_DIR/rig.suites.json (or rigd --suites FILE) or register them through the API");
    return 0;
  }
  for (const s of suites) {
    const schedule = s.schedule ? `every "${s.schedule}", next ${s.nextRun ? dateTime(timestampMs(s.nextRun)) : "-"}` : "on demand";
    const timeout = s.timeout ? formatDurationMs(durationMs(s.timeout)) : "-";
    await out.line(`${out.style.bold(s.name.padEnd(12))} ${s.namespace.padEnd(10)} ${schedule}  attempts ${s.maxAttempts}  timeout ${timeout}  (${s.source})`);
    await out.line(`  ${out.style.dim(`${s.command}  in ${s.dir}`)}`);
  }
  return 0;
}

/** Runs `rig runs`. */
export async function runsCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { n: { type: "string", short: "n" }, json: { type: "boolean" }, output: { type: "boolean" } },
  });
  if (positionals.length > 1) throw new UsageError("rig runs takes at most one SUITE or RUN_ID");
  const limit = values.n === undefined ? 20 : Number(values.n);
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`-n: expected a positive whole number, got "${values.n}"`);
  const rigd = await suiteRigd(out);
  if (!rigd) return 1;
  const [target = ""] = positionals;
  const { suites } = await rigd.suites.listSuites({}, { timeoutMs: 10_000 });
  if (target && !suites.some((s) => s.name === target)) {
    // Not a suite: a run id.
    const { run } = await rigd.suites.getRun({ runId: target, includeOutput: Boolean(values.output) }, { timeoutMs: 10_000 });
    if (!run) return 1;
    if (values.json) await out.line(JSON.stringify(toJson(RunSchema, run)));
    else {
      await out.line(runLine(out, run));
      await printTests(out, run, Boolean(values.output));
    }
    return 0;
  }
  const { runs } = await rigd.suites.listRuns({ suite: target, limit }, { timeoutMs: 10_000 });
  if (values.json) {
    await out.line(JSON.stringify(runs.map((r) => toJson(RunSchema, r))));
    return 0;
  }
  if (!runs.length) await out.line(target ? `no runs of ${target} yet: rig run ${target}` : "no suite runs yet");
  for (const run of runs) await out.line(runLine(out, run));
  return 0;
}

/** Runs `rig flaky`. */
export async function flakyCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { last: { type: "string" }, json: { type: "boolean" } } });
  if (positionals.length > 1) throw new UsageError("rig flaky takes at most one SUITE");
  const last = values.last === undefined ? 20 : Number(values.last);
  if (!Number.isInteger(last) || last <= 1) throw new UsageError(`--last: expected a whole number above 1, got "${values.last}"`);
  const rigd = await suiteRigd(out);
  if (!rigd) return 1;
  const { tests } = await rigd.suites.getFlakyReport({ suite: positionals[0] ?? "", lastRuns: last }, { timeoutMs: 10_000 });
  if (values.json) {
    await out.line(JSON.stringify(tests.map((t) => toJson(FlakyTestSchema, t))));
    return 0;
  }
  if (!tests.length) await out.line(`no flaky test in the last ${last} runs`);
  for (const t of tests) await out.line(flakyLine(out, t));
  return 0;
}
