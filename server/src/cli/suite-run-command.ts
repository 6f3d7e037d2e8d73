/**
 * `rig run SUITE [--filter RE]`: starts a run on rigd and streams it (each attempt, each
 * test result), then prints the summary. Exit code 0 when the run passed, 1 otherwise, so
 * CI can gate on it. `--detach` prints the run id and returns at once; Ctrl-C cancels the
 * run.
 */
import { parseArgs } from "node:util";
import { RunStatus } from "../gen/rig/v1/suite_service_pb.js";
import type { CliOutput } from "./cli-output.js";
import { attemptLine, printTests, runLine, styledStatus, suiteRigd } from "./suite-text.js";
import { UsageError } from "./usage-error.js";

/** Runs `rig run`. */
export async function suiteRunCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      filter: { type: "string" },
      key: { type: "string" },
      provoke: { type: "string" },
      "stop-on-failure": { type: "boolean" },
      detach: { type: "boolean" },
      output: { type: "boolean" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("expected one SUITE (rig suites lists them)");
  const provoke = values.provoke === undefined ? 0 : Number(values.provoke);
  if (!Number.isInteger(provoke) || provoke < 0) throw new UsageError(`--provoke: expected a whole number of runs, got "${values.provoke}"`);
  const rigd = await suiteRigd(out);
  if (!rigd) return 1;
  const { run, existing } = await rigd.suites.startRun(
    { suite: positionals[0]!, filter: values.filter ?? "", idempotencyKey: values.key ?? "", provokeRuns: provoke, stopOnFailure: Boolean(values["stop-on-failure"]) },
    { timeoutMs: 10_000 },
  );
  if (!run) return 1;
  await out.line(`run ${run.id}${existing ? " (already started with this key)" : ""}${provoke > 1 ? ` (first of ${provoke})` : ""}`);
  if (values.detach) return 0;

  const cancel = (): void => {
    out.warn(`rig run: cancelling ${run.id}`);
    void rigd.suites.cancelRun({ runId: run.id }).catch(() => {});
  };
  process.once("SIGINT", cancel);
  try {
    for await (const msg of rigd.suites.watchRun({ runId: run.id })) {
      const { event } = msg;
      if (event.case === "attemptStarted") {
        const { attempt, filter } = event.value;
        if (attempt > 1) await out.line(out.style.bold(`attempt ${attempt}: retrying ${filter ? `"${filter}"` : "the suite"}`));
      } else if (event.case === "testFinished") {
        const attempt = event.value.attempts[0];
        if (attempt) await out.line(attemptLine(out, event.value.name, attempt));
      } else if (event.case === "finished") {
        const finished = event.value;
        await out.line("");
        await out.line(`${styledStatus(out, finished.status)}:`);
        await printTests(out, finished, Boolean(values.output));
        await out.line(runLine(out, finished));
        return finished.status === RunStatus.PASSED ? 0 : 1;
      }
    }
  } finally {
    process.off("SIGINT", cancel);
  }
  return 1;
}
