/**
 * `rig locks ps`: every resource's holders and waiters, from each rigd's LockService.
 * `rig locks log [--resource R] [--operation init,acquire] [--short]`: the operation log
 * kept in RIG_DIR/locks/operations.jsonl, read from disk (it outlives rigd).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { LockMode, type LockEntry } from "../gen/rig/v1/lock_service_pb.js";
import { describeHolder } from "../contract/resource-locks.js";
import { OPERATION_KINDS, operationLogFile, readOperationLog } from "../locks/operation-log.js";
import type { CliOutput } from "./cli-output.js";
import { rigDirOf, rigdEndpoints } from "./rigd-connection.js";
import { UsageError } from "./usage-error.js";

/** Usage of `rig locks`. */
export const LOCKS_USAGE = "rig locks ps | rig locks log [--resource R] [--operation server,declare,init,acquire] [--short]";

/** Runs `rig locks ...`. */
export async function locksCommand(argv: string[], out: CliOutput): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === "ps") return locksPs(rest, out);
  if (sub === "log") return locksLog(rest, out);
  throw new UsageError(`rig locks: expected ps or log, got ${sub ?? "nothing"}`);
}

async function locksPs(argv: string[], out: CliOutput): Promise<number> {
  if (argv.length) throw new UsageError("rig locks ps takes no arguments");
  const rigds = await rigdEndpoints(out.io.env);
  if (!rigds.length) {
    out.warn("rig: no rigd found (no rigd-*.addr in RIG_DIR and no RIG_SERVER)");
    return 0;
  }
  const now = Date.now();
  const entry = (kind: string, e: LockEntry): string => {
    const h = e.holder;
    const since = e.since ? `${((now - timestampMs(e.since)) / 1000).toFixed(1)}s` : "";
    const mode = e.mode === LockMode.SHARED ? "shared" : "exclusive";
    return `  ${kind.padEnd(7)} ${e.lockId.padEnd(6)} ${mode.padEnd(9)} ${since.padStart(7)}  ${describeHolder(h)}${h?.location ? ` at ${h.location}` : ""}`;
  };
  for (const rigd of rigds) {
    const { resources } = await rigd.locks.listLocks({}, { timeoutMs: 5_000 });
    for (const r of resources) {
      await out.line(`${r.name}  max ${r.maxParallelism}  init ${r.initState}  ${r.holders.length} holding, ${r.waiters.length} waiting`);
      for (const h of r.holders) await out.line(entry("holds", h));
      for (const w of r.waiters) await out.line(entry("waits", w));
    }
  }
  return 0;
}

async function locksLog(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { resource: { type: "string", short: "r" }, operation: { type: "string", short: "o" }, short: { type: "boolean", short: "s" } },
  });
  if (positionals.length) throw new UsageError(`rig locks log takes no arguments (${LOCKS_USAGE})`);
  const kinds = (values.operation ?? "").split(",").filter(Boolean);
  for (const k of kinds) if (!OPERATION_KINDS[k]) throw new UsageError(`rig locks log: unknown operation "${k}" (one of ${Object.keys(OPERATION_KINDS).join(", ")})`);
  const file = operationLogFile(rigDirOf(out.io.env));
  const records = readOperationLog(file, { ...(values.resource ? { resource: values.resource } : {}), operations: kinds });
  if (!records.length && !existsSync(file)) {
    out.warn(`rig: no lock operations recorded yet (${file})`);
    return 0;
  }
  for (const r of records) {
    const who = r.holder ? ` ${describeHolder(r.holder)}` : "";
    const where = !values.short && r.holder?.location ? ` at ${r.holder.location}` : "";
    const dur = r.durationMs !== undefined ? ` (${r.durationMs} ms)` : "";
    await out.line(
      `${r.time} ${r.op.padEnd(14)} ${(r.resources ?? []).join(",")}${r.mode ? ` ${r.mode}` : ""}${r.lockId ? ` ${r.lockId}` : ""}${who}${dur}${where}${r.detail ? `: ${r.detail}` : ""}`,
    );
  }
  return 0;
}
