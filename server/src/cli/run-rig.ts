/**
 * The `rig` command: picks the subcommand, runs it, and turns errors into messages and
 * exit codes (0 ok, 1 failed or nothing found, 2 bad command line).
 */
import { readFileSync } from "node:fs";
import { CliOutput, OutputClosedError, type CliIo } from "./cli-output.js";
import { LOCKS_USAGE } from "./locks-command.js";
import {
  DOWN_USAGE,
  EVENTS_USAGE,
  EXPLAIN_USAGE,
  FLAKY_USAGE,
  LOGS_USAGE,
  LS_USAGE,
  PRUNE_USAGE,
  PS_USAGE,
  SUITE_RUN_USAGE,
  SUITE_RUNS_USAGE,
  SUITES_USAGE,
  TRAFFIC_USAGE,
  UI_USAGE,
} from "./command-usage.js";
import { RunNotFoundError } from "./run-store.js";
import { UsageError } from "./usage-error.js";

type Command = (argv: string[], out: CliOutput) => Promise<number>;

// Each command is loaded when it runs: `rig ls` never loads the Connect client.
const COMMANDS: Readonly<Record<string, { run: () => Promise<Command>; usage: string; does: string }>> = {
  ls: { run: async () => (await import("./ls-command.js")).lsCommand, usage: LS_USAGE, does: "finished and running runs, newest first" },
  ps: { run: async () => (await import("./ps-command.js")).psCommand, usage: PS_USAGE, does: "live environments, their services, phases and endpoints" },
  logs: { run: async () => (await import("./logs-command.js")).logsCommand, usage: LOGS_USAGE, does: "service output of a run, interleaved; -f follows a live one" },
  traffic: { run: async () => (await import("./traffic-command.js")).trafficCommand, usage: TRAFFIC_USAGE, does: "HTTP requests, gRPC calls and TCP connections of a run" },
  explain: { run: async () => (await import("./explain-command.js")).explainCommand, usage: EXPLAIN_USAGE, does: "why a run ended the way it did" },
  events: { run: async () => (await import("./events-command.js")).eventsCommand, usage: EVENTS_USAGE, does: "every event of a run" },
  down: { run: async () => (await import("./down-command.js")).downCommand, usage: DOWN_USAGE, does: "destroy live environments" },
  ui: { run: async () => (await import("./ui-command.js")).uiCommand, usage: UI_USAGE, does: "the dashboard in a browser: its URL with the token, opened; RUN opens that run" },
  locks: { run: async () => (await import("./locks-command.js")).locksCommand, usage: LOCKS_USAGE, does: "resource locks: holders and waiters (ps), the operation log (log)" },
  prune: { run: async () => (await import("./prune-command.js")).pruneCommand, usage: PRUNE_USAGE, does: "remove old run logs, temp dirs and what dead rigds left" },
  suites: { run: async () => (await import("./suites-command.js")).suitesCommand, usage: SUITES_USAGE, does: "test suites rigd runs on demand and on schedules" },
  run: { run: async () => (await import("./suite-run-command.js")).suiteRunCommand, usage: SUITE_RUN_USAGE, does: "run a suite, streaming its tests; exit 0 only if it passed" },
  runs: { run: async () => (await import("./suites-command.js")).runsCommand, usage: SUITE_RUNS_USAGE, does: "suite runs, newest first; a RUN_ID shows its tests" },
  flaky: { run: async () => (await import("./suites-command.js")).flakyCommand, usage: FLAKY_USAGE, does: "flaky tests: retried to pass, or flipping between runs" },
};

/** The version of the package this CLI ships in. */
function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/** The help text. */
export function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  return [
    "usage: rig COMMAND [ARGS]",
    "",
    ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.does}`),
    "",
    "RUN is a test (environment) name or id, matched by substring, newest first; or a path to a run's events.jsonl.",
    "Runs are read from RIG_DIR/logs (RIG_DIR defaults to ~/.rig); live environments from the rigds of RIG_DIR",
    "(or RIG_SERVER, with RIG_TOKEN). Colour on a terminal unless NO_COLOR is set.",
  ].join("\n");
}

/** Runs `rig ARGV...`; resolves to the exit code. */
export async function runRig(argv: readonly string[], io: CliIo): Promise<number> {
  const out = new CliOutput(io);
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? io.stderr : io.stdout).write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "version") {
    io.stdout.write(`rig ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    out.warn(`rig: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(`usage: ${command.usage}\n`);
    return 0;
  }
  try {
    return await (await command.run())(rest, out);
  } catch (err) {
    if (err instanceof OutputClosedError) return 0;
    if (err instanceof UsageError || (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS")) {
      out.warn(`rig ${name}: ${(err as Error).message}\nusage: ${command.usage}`);
      return 2;
    }
    if (err instanceof RunNotFoundError) {
      out.warn(err.message);
      return 1;
    }
    if (err instanceof Error && err.name === "ConnectError") {
      out.warn(`rig ${name}: rigd answered ${err.message}`);
      return 1;
    }
    out.warn(`rig ${name}: ${(err as Error).stack ?? String(err)}`);
    return 1;
  }
}
