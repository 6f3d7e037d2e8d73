/**
 * `rig logs RUN [--service S] [--grep RE] [-f]`: the services' output interleaved, with
 * time and service name. From the run's events.jsonl; with `-f`, from the live
 * environment on its rigd (replayed from the start, then followed until it is down).
 */
import { parseArgs } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { LogStream, type Event } from "../gen/rig/v1/event_pb.js";
import type { CliOutput } from "./cli-output.js";
import { clockTime } from "../diagnosis/duration-text.js";
import { readEvents } from "./event-file.js";
import { rigdEndpoints, rigDirOf } from "./rigd-connection.js";
import { eventMs } from "../diagnosis/run-outcome.js";
import { findRun } from "./run-store.js";
import { UsageError } from "./usage-error.js";


/** Runs the command; resolves to the exit code. */
export async function logsCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      service: { type: "string", short: "s", multiple: true },
      grep: { type: "string", short: "g" },
      follow: { type: "boolean", short: "f" },
    },
  });
  if (positionals.length !== 1) throw new UsageError("rig logs needs one RUN");
  let grep: RegExp | undefined;
  try {
    grep = values.grep === undefined ? undefined : new RegExp(values.grep);
  } catch (err) {
    throw new UsageError(`--grep: ${(err as Error).message}`);
  }
  const services = values.service?.length ? new Set(values.service) : undefined;
  const run = await findRun(rigDirOf(out.io.env), positionals[0]!);
  const width = Math.max(8, ...run.services.map((s) => s.length));

  const print = async (event: Event): Promise<void> => {
    if (event.payload.case !== "serviceLog") return;
    if (services && !services.has(event.service)) return;
    const { line, stream } = event.payload.value;
    if (grep && !grep.test(line)) return;
    const s = out.style;
    const name = event.service.padEnd(width);
    const bar = stream === LogStream.STDERR ? s.yellow("!") : "|";
    await out.line(`${s.dim(clockTime(eventMs(event)))} ${s.cyan(name)} ${bar} ${line}`);
  };

  if (values.follow && run.outcome === "unfinished") {
    for (const rigd of await rigdEndpoints(out.io.env)) {
      try {
        for await (const { event } of rigd.client.watchEvents({ environmentId: run.id, includeLogs: true })) {
          if (event) await print(event);
        }
        return 0;
      } catch (err) {
        const code = ConnectError.from(err).code;
        if (code !== Code.NotFound && code !== Code.Unavailable) throw err;
      }
    }
    out.warn(`rig: ${run.id} is not live on any rigd; showing its log file`);
  }
  for await (const event of readEvents(run.eventLogPath)) await print(event);
  return 0;
}
