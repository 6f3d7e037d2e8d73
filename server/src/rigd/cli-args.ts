/**
 * rigd's command line: `rigd [--listen 127.0.0.1:0] [--idle 5m] [--rig-dir DIR]
 * [--addr-file FILE] [--orphan-grace 30s] [--retention 10m] ...`. Parsing only; a UsageError means exit 2.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { parseDuration } from "../contract/duration-text.js";
import { DEFAULT_LIMITS, LIMIT_NAMES, type Limits } from "../contract/limits.js";
import { parseListenAddress } from "./listen-address.js";
import { DEFAULT_LOG_RETENTION, parseSize, type LogRetention } from "./log-retention.js";
import { resolveRigDir } from "./rig-dir.js";
import { DEFAULT_IDLE_MS, DEFAULT_ORPHAN_GRACE_MS } from "./start-rigd.js";
import { DEFAULT_RETENTION_MS } from "../orchestrator/finished-environments.js";

/** The usage text printed by --help and after a usage error. */
export const USAGE = `usage: rigd [--listen 127.0.0.1:0] [--idle 5m] [--rig-dir DIR] [--addr-file FILE] [--orphan-grace 30s] [--suites FILE]

  --listen HOST:PORT     loopback address to serve on (default 127.0.0.1:0, a free port),
                         or unix:/path/rigd.sock for a unix socket (mode 0600)
  --idle DURATION        exit after this long with no environments and no calls (default 5m; 0 = never)
  --rig-dir DIR          state directory (default $RIG_DIR, else ~/.rig)
  --addr-file FILE       where to write the address once serving (default RIG_DIR/rigd-<version>.addr)
  --orphan-grace DURATION  destroy an environment nobody has watched for this long (default 30s)
  --suites FILE          test suites to run on demand and on schedules (default RIG_DIR/rig.suites.json if present)
  --retention DURATION   how long a finished environment stays known to GetEnvironment, GetLog and
                         WatchEvents (default 10m; its summary in memory, its events read from its
                         log file; at most finished-environments of them, see --limit)
  --keep-logs DURATION   remove logs of finished environments older than this (default 7d; 0 = keep)
  --max-logs SIZE        then remove the oldest until RIG_DIR/logs fits this (default 1GiB; 0 = no limit)
  --limit NAME=VALUE     raise or lower a limit (repeatable): services (1000 per environment),
                         environments (500 live), environments-per-client (200 live, by the SDKs'
                         rig-client header), processes (4000 running), spawn-concurrency (8),
                         value-length (262144 characters), request-bytes (16MiB),
                         output-per-service (16MiB), output-per-environment (64MiB),
                         lock-log-bytes (32MiB: the lock operation log rotates past it, one older file kept),
                         traffic-in-memory (8MiB of traffic events per environment; the rest
                         is read back from its events.jsonl), finished-environments (1000 kept
                         known, see --retention)
  --version              print the version and exit
  --help                 print this help and exit

DURATION is e.g. 500ms, 30s, 5m, 1h or 1m30s.`;

/** The command line is wrong; the message says how. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A parsed command line. */
export type RigdCommand =
  | { readonly kind: "help" }
  | { readonly kind: "version" }
  | {
      readonly kind: "run";
      readonly listen: string;
      readonly idleMs: number;
      readonly rigDir: string;
      readonly addrFile: string | undefined;
      readonly orphanGraceMs: number;
      readonly retentionMs: number;
      readonly logRetention: LogRetention;
      readonly limits: Limits;
      readonly suitesFile?: string;
    };

/** Parses argv (without node and script); throws UsageError. */
export function parseRigdArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): RigdCommand {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: "string" },
        idle: { type: "string" },
        "rig-dir": { type: "string" },
        "addr-file": { type: "string" },
        "orphan-grace": { type: "string" },
        retention: { type: "string" },
        "keep-logs": { type: "string" },
        "max-logs": { type: "string" },
        suites: { type: "string" },
        limit: { type: "string", multiple: true },
        version: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  const listen = values.listen ?? "127.0.0.1:0";
  usage(() => parseListenAddress(listen));
  const idleMs = values.idle === undefined ? DEFAULT_IDLE_MS : usage(() => parseDuration(values.idle!), "--idle");
  const orphanGraceMs =
    values["orphan-grace"] === undefined
      ? DEFAULT_ORPHAN_GRACE_MS
      : usage(() => parseDuration(values["orphan-grace"]!), "--orphan-grace");
  const retentionMs =
    values.retention === undefined ? DEFAULT_RETENTION_MS : usage(() => parseDuration(values.retention!), "--retention");
  const logRetention: LogRetention = {
    maxAgeMs:
      values["keep-logs"] === undefined
        ? DEFAULT_LOG_RETENTION.maxAgeMs
        : usage(() => parseDuration(values["keep-logs"]!), "--keep-logs"),
    maxBytes:
      values["max-logs"] === undefined ? DEFAULT_LOG_RETENTION.maxBytes : usage(() => parseSize(values["max-logs"]!), "--max-logs"),
  };
  const limits: { -readonly [K in keyof Limits]: number } = { ...DEFAULT_LIMITS };
  for (const entry of values.limit ?? []) {
    const [name, value] = entry.split("=", 2);
    const field = LIMIT_NAMES[name ?? ""];
    if (!field || value === undefined) {
      throw new UsageError(`--limit ${entry}: expected NAME=VALUE with NAME one of ${Object.keys(LIMIT_NAMES).join(", ")}`);
    }
    const n = usage(() => parseSize(value), `--limit ${name}`);
    if (n <= 0) throw new UsageError(`--limit ${name}: must be above 0`);
    limits[field] = n;
  }
  if (values["rig-dir"] === "") throw new UsageError("--rig-dir must not be empty");
  if (values["addr-file"] === "") throw new UsageError("--addr-file must not be empty");
  if (values.suites === "") throw new UsageError("--suites must not be empty");
  return {
    kind: "run",
    listen,
    idleMs,
    rigDir: resolveRigDir(values["rig-dir"], env),
    addrFile: values["addr-file"] === undefined ? undefined : path.resolve(values["addr-file"]),
    orphanGraceMs,
    retentionMs,
    logRetention,
    limits,
    ...(values.suites !== undefined ? { suitesFile: path.resolve(values.suites) } : {}),
  };
}

/** Runs a parser, turning its error into a UsageError (prefixed with the flag). */
function usage<T>(parse: () => T, flag?: string): T {
  try {
    return parse();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new UsageError(flag ? `${flag}: ${message}` : message);
  }
}
