/**
 * `rig prune [--older-than 7d] [--dry-run]`: removes what finished runs and dead rigds
 * left in RIG_DIR: run logs and preserved temp dirs older than the cut-off (never those
 * of an environment a rigd still lists), process groups recorded by a rigd that is no
 * longer alive, and with `--containers` the containers labelled by a dead rigd of this
 * host (through the `docker` CLI, when there is one). Containers carry no RIG_DIR, so
 * that last step reaches every RIG_DIR's dead rigds and is asked for explicitly.
 * Containers kept for inspection after a failure (`rig-kept-...`) are always removed.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { pidIsAlive } from "../os/pid-alive.js";
import { ProcessRecords } from "../os/process-records.js";
import type { CliOutput } from "./cli-output.js";
import { parseDurationFlag } from "../diagnosis/duration-text.js";
import { rigdEndpoints, rigDirOf } from "./rigd-connection.js";
import { UsageError } from "./usage-error.js";


const run = promisify(execFile);

/** Runs the command; resolves to the exit code. */
export async function pruneCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "older-than": { type: "string" }, containers: { type: "boolean" }, "dry-run": { type: "boolean", short: "n" } },
  });
  if (positionals.length) throw new UsageError("rig prune takes no arguments");
  let olderThanMs: number;
  try {
    olderThanMs = parseDurationFlag(values["older-than"] ?? "7d");
  } catch (err) {
    throw new UsageError(`--older-than: ${(err as Error).message}`);
  }
  const dry = values["dry-run"] ?? false;
  const verb = dry ? "would remove" : "removed";
  const rigDir = rigDirOf(out.io.env);
  const cutoff = out.io.now() - olderThanMs;

  const live = new Set<string>();
  for (const rigd of await rigdEndpoints(out.io.env)) {
    try {
      for (const env of (await rigd.client.listEnvironments({}, { timeoutMs: 5_000 })).environments) live.add(env.id);
    } catch {
      // A rigd that does not answer has no live environments to protect.
    }
  }

  let count = 0;
  for (const [what, dir] of [["run log", join(rigDir, "logs")], ["temp dir", join(rigDir, "tmp")]] as const) {
    for (const id of await readdir(dir).catch(() => [] as string[])) {
      if (live.has(id)) continue;
      const path = join(dir, id);
      const info = await stat(existsSync(join(path, "events.jsonl")) ? join(path, "events.jsonl") : path).catch(() => undefined);
      if (!info || info.mtimeMs >= cutoff) continue;
      if (!dry) await rm(path, { recursive: true, force: true });
      await out.line(`${verb} ${what} ${path}`);
      count++;
    }
  }

  const records = join(rigDir, "run", "processes");
  if (existsSync(records) && !dry) {
    for (const command of new ProcessRecords(records).reapOrphans()) {
      await out.line(`killed process left by a dead rigd: ${command}`);
      count++;
    }
  }

  const containers = await rigContainers();
  // Containers kept for inspection after a failure always go; others of dead rigds with --containers.
  const doomed = containers.filter((c) => c.name.startsWith("rig-kept-") || (values.containers && c.dead));
  for (const container of doomed) {
    if (!dry) await run("docker", ["rm", "-f", container.id]).catch((err: Error) => out.warn(`rig: docker rm ${container.id}: ${err.message}`));
    const why = container.name.startsWith("rig-kept-") ? "kept for inspection" : `rigd pid ${container.pid} is gone`;
    await out.line(`${verb} container ${container.name} (${why})`);
    count++;
  }
  if (count === 0) await out.line(`nothing to prune in ${rigDir}`);
  return 0;
}

/** Containers labelled by a rigd of this host; `dead` when that rigd is gone. */
async function rigContainers(): Promise<{ id: string; name: string; pid: number; dead: boolean }[]> {
  let stdout: string;
  try {
    ({ stdout } = await run("docker", ["ps", "-a", "--filter", "label=rig.rigd", "--format", '{{.ID}}\t{{.Names}}\t{{.Label "rig.rigd.pid"}}\t{{.Label "rig.rigd.host"}}'], { timeout: 10_000 }));
  } catch {
    return []; // no docker CLI or no engine: nothing of ours can be running there
  }
  const host = hostname();
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split("\t"))
    .map(([id, name, pid, owner]) => ({ id: id!, name: name!, pid: Number(pid), owner }))
    .filter((c) => c.owner === host && Number.isInteger(c.pid) && c.pid > 0)
    .map((c) => ({ ...c, dead: !pidIsAlive(c.pid) }));
}
