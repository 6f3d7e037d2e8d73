/**
 * `rig down ID|NAME... | --all [--preserve]`: destroys live environments through their
 * rigd (exact id, else the live environments whose id or name contains the text).
 */
import { parseArgs } from "node:util";
import type { Environment } from "../gen/rig/v1/environment_service_pb.js";
import type { CliOutput } from "./cli-output.js";
import { rigdEndpoints, type RigdEndpoint } from "./rigd-connection.js";
import { UsageError } from "./usage-error.js";


/** Runs the command; resolves to the exit code. */
export async function downCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { all: { type: "boolean" }, preserve: { type: "boolean" } } });
  if (values.all === (positionals.length > 0)) throw new UsageError("rig down needs environment ids or --all (not both)");
  const live: { rigd: RigdEndpoint; env: Environment }[] = [];
  for (const rigd of await rigdEndpoints(out.io.env)) {
    try {
      const { environments } = await rigd.client.listEnvironments({}, { timeoutMs: 5_000 });
      for (const env of environments) live.push({ rigd, env });
    } catch (err) {
      out.warn(`rig: rigd at ${rigd.address} did not answer: ${(err as Error).message}`);
    }
  }
  const chosen = new Map<string, { rigd: RigdEndpoint; env: Environment }>();
  let missing = 0;
  if (values.all) for (const l of live) chosen.set(l.env.id, l);
  for (const query of positionals) {
    const exact = live.filter((l) => l.env.id === query);
    const needle = query.toLowerCase();
    const found = exact.length ? exact : live.filter((l) => l.env.id.toLowerCase().includes(needle) || l.env.name.toLowerCase().includes(needle));
    if (!found.length) {
      out.warn(`rig: no live environment matches "${query}" (see rig ps)`);
      missing++;
    }
    for (const l of found) chosen.set(l.env.id, l);
  }
  let failed = 0;
  await Promise.all(
    [...chosen.values()].map(async ({ rigd, env }) => {
      try {
        const res = await rigd.client.destroyEnvironment({ environmentId: env.id, preserve: values.preserve ?? false, reason: "rig down" });
        await out.line(`${env.id}  down${res.preserved ? " (dirs preserved)" : ""}  ${out.style.dim(res.eventLogPath)}`);
      } catch (err) {
        failed++;
        out.warn(`rig: could not destroy ${env.id}: ${(err as Error).message}`);
      }
    }),
  );
  return failed || missing ? 1 : 0;
}
