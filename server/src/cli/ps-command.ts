/**
 * `rig ps [--all] [--json]`: the live environments of every rigd the CLI finds, with
 * each service's type, phase and endpoints (`--all` adds the internal proxy and `~test`
 * nodes).
 */
import { parseArgs } from "node:util";
import { toJson } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { EnvironmentSchema, EnvironmentState, ServicePhase, type Environment } from "../gen/rig/v1/environment_service_pb.js";
import type { CliOutput } from "./cli-output.js";
import { formatDurationMs } from "../diagnosis/duration-text.js";
import { rigdEndpoints } from "./rigd-connection.js";
import { UsageError } from "./usage-error.js";


/** Runs the command; resolves to the exit code. */
export async function psCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { all: { type: "boolean", short: "a" }, json: { type: "boolean" } } });
  if (positionals.length) throw new UsageError("rig ps takes no arguments");
  const rigds = await rigdEndpoints(out.io.env);
  if (!rigds.length) {
    out.warn("rig: no rigd found (no rigd-*.addr in RIG_DIR and no RIG_SERVER)");
    return 0;
  }
  let failures = 0;
  for (const rigd of rigds) {
    let environments: Environment[];
    try {
      environments = (await rigd.client.listEnvironments({}, { timeoutMs: 5_000 })).environments;
    } catch (err) {
      failures++;
      out.warn(`rig: rigd at ${rigd.address} (${rigd.source}) did not answer: ${(err as Error).message}`);
      continue;
    }
    for (const env of environments) {
      if (values.json) {
        await out.line(JSON.stringify({ rigd: rigd.address, ...(toJson(EnvironmentSchema, env) as Record<string, unknown>) }));
        continue;
      }
      for (const line of environmentLines(env, values.all ?? false, out)) await out.line(line);
    }
  }
  return failures === rigds.length && !values.json ? 1 : 0;
}

const stateName = (state: EnvironmentState): string => (EnvironmentState[state] ?? "UNSPECIFIED").toLowerCase();
const phaseName = (phase: ServicePhase): string => (ServicePhase[phase] ?? "UNSPECIFIED").toLowerCase();

/** An environment and its services as lines. */
export function environmentLines(env: Environment, all: boolean, out: CliOutput): string[] {
  const s = out.style;
  const age = env.createdAt ? formatDurationMs(out.io.now() - timestampMs(env.createdAt)) : "-";
  const state = stateName(env.state);
  const colour = env.state === EnvironmentState.UP ? s.green : env.state === EnvironmentState.FAILING ? s.red : s.yellow;
  const lines = [`${s.bold(env.id)}  ${env.name}  ${colour(state)}  up ${age}  ${env.watchers} watching`];
  for (const svc of env.services) {
    if (svc.internal && !all) continue;
    const endpoints = Object.entries(svc.ingresses)
      .map(([name, e]) => `${name === "default" ? "" : `${name}=`}${e.host}:${e.port}`)
      .join(" ");
    const phase = phaseName(svc.phase);
    const phaseText = svc.phase === ServicePhase.READY ? s.green(phase) : svc.phase === ServicePhase.FAILED ? s.red(phase) : s.yellow(phase);
    lines.push(`  ${svc.name.padEnd(16)} ${svc.type.padEnd(10)} ${phaseText.padEnd(10)} ${endpoints}${svc.error ? s.red(`  ${svc.error}`) : ""}`);
  }
  return lines;
}
