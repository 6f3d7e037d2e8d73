/**
 * `rig ui [RUN] [--no-open]`: the dashboard rigd serves at `/ui/`, as a URL that carries
 * the token once in its fragment (like Jupyter; the page keeps it in sessionStorage and
 * the fragment never reaches a server). Printed, and opened in the desktop's browser when
 * there is a display and stdout is a terminal. RUN opens that run: live when rigd still
 * has it, else its recorded events (replay).
 */
import { spawn } from "node:child_process";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { CliOutput } from "./cli-output.js";
import { rigDirOf, rigdEndpoints } from "./rigd-connection.js";
import { findRun, logsDir } from "./run-store.js";
import { UsageError } from "./usage-error.js";

/** Runs the command; resolves to the exit code. */
export async function uiCommand(argv: string[], out: CliOutput): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { "no-open": { type: "boolean" } } });
  if (positionals.length > 1) throw new UsageError("rig ui takes at most one RUN");
  const rigd = (await rigdEndpoints(out.io.env)).find((r) => !r.address.startsWith("unix:") && r.token);
  if (!rigd) {
    out.warn("rig ui: no rigd with a TCP address and a token (start one: node server/dist/main.js, or set RIG_SERVER and RIG_TOKEN)");
    return 1;
  }
  const base = /^https?:\/\//.test(rigd.address) ? rigd.address.replace(/\/+$/, "") : `http://${rigd.address}`;
  let route = "";
  const query = positionals[0];
  if (query !== undefined) {
    const live = (await rigd.client.listEnvironments({}, { timeoutMs: 5_000 })).environments;
    const match = live.find((e) => e.id === query) ?? live.find((e) => e.name.toLowerCase().includes(query.toLowerCase()) || e.id.includes(query));
    if (match) {
      route = `/env/${encodeURIComponent(match.id)}`;
    } else {
      const run = await findRun(rigDirOf(out.io.env), query);
      if (resolve(dirname(run.dir)) === resolve(logsDir(rigDirOf(out.io.env)))) {
        route = `/run/${encodeURIComponent(run.id)}`;
      } else {
        out.warn(`rig ui: ${run.eventLogPath} is not in rigd's RIG_DIR; open it on the page (or drop it there)`);
      }
    }
  }
  const url = `${base}/ui/#token=${rigd.token}${route ? `&route=${encodeURIComponent(route)}` : ""}`;
  await out.line(url);
  if (!values["no-open"] && out.io.stdout.isTTY && canOpen(out.io.env)) openInBrowser(url);
  return 0;
}

function canOpen(env: NodeJS.ProcessEnv): boolean {
  return process.platform === "darwin" || process.platform === "win32" || Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Hands the URL to the desktop; a failure only means the user copies the printed URL. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === "darwin" ? ["open", [url]] : process.platform === "win32" ? ["cmd", ["/c", "start", "", url]] : ["xdg-open", [url]];
  try {
    const child = spawn(command as string, args as string[], { detached: true, stdio: "ignore" });
    child.on("error", () => {});
    child.unref();
  } catch {
    // printed above
  }
}
