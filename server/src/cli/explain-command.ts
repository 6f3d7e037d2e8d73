/** `rig explain RUN [--json]`: why a run ended the way it did (see diagnosis.ts). */
import { parseArgs } from "node:util";
import type { CliOutput } from "./cli-output.js";
import { DiagnosisBuilder } from "../diagnosis/diagnosis.js";
import { diagnosisText } from "../diagnosis/diagnosis-text.js";
import { readEvents } from "./event-file.js";
import { rigDirOf } from "./rigd-connection.js";
import { findRun } from "./run-store.js";
import { UsageError } from "./usage-error.js";


/** Runs the command; resolves to the exit code. */
export async function explainCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" } } });
  if (positionals.length !== 1) throw new UsageError("rig explain needs one RUN");
  const run = await findRun(rigDirOf(out.io.env), positionals[0]!);
  const builder = new DiagnosisBuilder();
  for await (const event of readEvents(run.eventLogPath)) builder.add(event);
  const diagnosis = builder.result();
  if (values.json) {
    await out.line(JSON.stringify({ ...diagnosis, eventLog: run.eventLogPath }, null, 2));
    return 0;
  }
  for (const line of diagnosisText(diagnosis, out.style)) await out.line(line);
  await out.line(`${out.style.dim("log")}       ${run.eventLogPath}`);
  return 0;
}
