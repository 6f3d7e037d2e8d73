/**
 * `rig events RUN [--json]`: every event of a run, streamed from its events.jsonl: the
 * JSON lines as recorded, or each as the line rig.log has for it (events/event-text.ts).
 */
import { parseArgs } from "node:util";
import type { CliOutput } from "./cli-output.js";
import { eventLines, parseEventLine } from "./event-file.js";
import { formatEvent } from "../events/event-text.js";
import { rigDirOf } from "./rigd-connection.js";
import { findRun } from "./run-store.js";
import { UsageError } from "./usage-error.js";


/** Runs the command; resolves to the exit code. */
export async function eventsCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: "boolean" } } });
  if (positionals.length !== 1) throw new UsageError("rig events needs one RUN");
  const run = await findRun(rigDirOf(out.io.env), positionals[0]!);
  for await (const line of eventLines(run.eventLogPath)) {
    if (values.json) {
      await out.line(line);
      continue;
    }
    const event = parseEventLine(line);
    if (event) await out.line(formatEvent(event));
  }
  return 0;
}
