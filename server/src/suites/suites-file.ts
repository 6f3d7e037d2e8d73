/**
 * rigd's suites file: `rig.suites.json` in RIG_DIR, or the file `rigd --suites FILE`
 * names. Suites use the Suite message's JSON names, with two conveniences: `timeout` is a
 * `30s`-style duration and `format` is `junit`, `go-test-json`, `tap` or `exit-code`.
 *
 *   { "suites": [{ "name": "api", "dir": "tests", "command": "go test -json ./...",
 *                  "schedule": "*\/10 * * * *", "maxAttempts": 3 }],
 *     "history": { "keepDays": 30, "keepRunsPerSuite": 500, "postgres": "postgres://rig:${PGPASS}@db/rig" },
 *     "webhooks": [{ "url": "http://127.0.0.1:9000/hook", "events": ["run.finished"] }] }
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { parseDuration } from "../contract/duration-text.js";
import { ReportFormat, SuiteSchema } from "../gen/rig/v1/suite_service_pb.js";
import { defineSuite, SuiteDefinitionError, type SuiteDefinition } from "./suite-definition.js";

/** The default name of the suites file in RIG_DIR. */
export const SUITES_FILE_NAME = "rig.suites.json";

/** Where history lives besides what it keeps: SQLite in RIG_DIR unless a Postgres URL is set. */
export interface RetentionPolicy {
  /** Runs older than this are removed (0: kept). */
  readonly keepDays: number;
  /** Beyond this many runs per suite, the oldest are removed (0: no limit). */
  readonly keepRunsPerSuite: number;
}

/** A webhook the run results are POSTed to. */
export interface WebhookConfig {
  readonly url: string;
  /** Which of run.started, test.finished, run.finished; default run.finished. */
  readonly events: readonly WebhookEvent[];
}

export type WebhookEvent = "run.started" | "test.finished" | "run.finished";
const WEBHOOK_EVENTS: readonly WebhookEvent[] = ["run.started", "test.finished", "run.finished"];

/** The parsed file. */
export interface SuitesConfig {
  readonly file: string | undefined;
  readonly suites: readonly SuiteDefinition[];
  readonly retention: RetentionPolicy;
  readonly webhooks: readonly WebhookConfig[];
  /** `history.postgres`: one history shared by a team (`${VAR}` taken from rigd's environment). */
  readonly postgresUrl?: string;
}

export const DEFAULT_RETENTION: RetentionPolicy = { keepDays: 30, keepRunsPerSuite: 500 };

const FORMATS: Readonly<Record<string, ReportFormat>> = {
  "exit-code": ReportFormat.EXIT_CODE,
  junit: ReportFormat.JUNIT,
  "go-test-json": ReportFormat.GO_TEST_JSON,
  tap: ReportFormat.TAP,
};

/**
 * Loads `file`, or RIG_DIR/rig.suites.json when `file` is undefined (absent: no suites).
 * Throws SuiteDefinitionError naming the file and each problem.
 */
export function loadSuitesConfig(rigDir: string, file: string | undefined): SuitesConfig {
  const path = file ?? join(rigDir, SUITES_FILE_NAME);
  if (file === undefined && !existsSync(path)) return { file: undefined, suites: [], retention: DEFAULT_RETENTION, webhooks: [] };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new SuiteDefinitionError(path, [`cannot read it as JSON: ${(err as Error).message}`]);
  }
  return parseSuitesConfig(json, path);
}

/** Parses the file's JSON (`path` names it in errors and anchors relative dirs). */
export function parseSuitesConfig(json: unknown, path: string, env: NodeJS.ProcessEnv = process.env): SuitesConfig {
  if (!isObject(json)) throw new SuiteDefinitionError(path, ['expected an object like { "suites": [...] }']);
  const problems: string[] = [];
  for (const key of Object.keys(json)) {
    if (!["suites", "history", "webhooks"].includes(key)) problems.push(`${key}: unknown field (expected suites, history, webhooks)`);
  }
  const suites: SuiteDefinition[] = [];
  const entries = json["suites"] ?? [];
  if (!Array.isArray(entries)) problems.push("suites: expected an array");
  else {
    entries.forEach((entry: unknown, i) => {
      const where = `suites[${i}]${isObject(entry) && typeof entry["name"] === "string" ? `(${entry["name"]})` : ""}`;
      try {
        const suite = fromJson(SuiteSchema, suiteJson(entry, where) as JsonValue, { ignoreUnknownFields: false });
        const def = defineSuite(suite, "config", dirname(path), where);
        if (suites.some((s) => s.name === def.name)) problems.push(`${where}.name: "${def.name}" is used twice`);
        suites.push(def);
      } catch (err) {
        if (err instanceof SuiteDefinitionError) problems.push(err.message);
        else problems.push(`${where}: ${(err as Error).message}`);
      }
    });
  }
  const history = json["history"] ?? {};
  const retention = { ...DEFAULT_RETENTION };
  let postgresUrl: string | undefined;
  if (!isObject(history)) problems.push("history: expected an object");
  else {
    for (const [key, value] of Object.entries(history)) {
      if (key === "postgres") {
        postgresUrl = typeof value === "string" ? expandEnv(value, env, problems) : undefined;
        if (!postgresUrl || !/^postgres(ql)?:\/\//.test(postgresUrl)) problems.push("history.postgres: expected a postgres:// URL");
      } else if (key !== "keepDays" && key !== "keepRunsPerSuite") problems.push(`history.${key}: unknown field (expected keepDays, keepRunsPerSuite, postgres)`);
      else if (typeof value !== "number" || !(value >= 0)) problems.push(`history.${key}: expected a number >= 0`);
      else retention[key] = value;
    }
  }
  const webhooks: WebhookConfig[] = [];
  const hooks = json["webhooks"] ?? [];
  if (!Array.isArray(hooks)) problems.push("webhooks: expected an array");
  else {
    hooks.forEach((hook: unknown, i) => {
      const url = isObject(hook) ? hook["url"] : undefined;
      if (typeof url !== "string" || !/^https?:\/\//.test(url)) {
        problems.push(`webhooks[${i}].url: expected an http(s) URL`);
        return;
      }
      const events = isObject(hook) && Array.isArray(hook["events"]) ? (hook["events"] as unknown[]) : ["run.finished"];
      const bad = events.filter((e) => !WEBHOOK_EVENTS.includes(e as WebhookEvent));
      if (bad.length) problems.push(`webhooks[${i}].events: unknown ${bad.join(", ")} (expected ${WEBHOOK_EVENTS.join(", ")})`);
      webhooks.push({ url, events: events as WebhookEvent[] });
    });
  }
  if (problems.length) throw new SuiteDefinitionError(path, problems);
  return { file: path, suites, retention, webhooks, ...(postgresUrl ? { postgresUrl } : {}) };
}

/** The entry with `timeout` and `format` turned into their proto JSON forms. */
function suiteJson(entry: unknown, where: string): Record<string, unknown> {
  if (!isObject(entry)) throw new SuiteDefinitionError(where, ["expected an object"]);
  const out: Record<string, unknown> = { ...entry };
  if (typeof entry["timeout"] === "string") {
    try {
      out["timeout"] = `${parseDuration(entry["timeout"]) / 1000}s`;
    } catch (err) {
      throw new SuiteDefinitionError(where, [`timeout: ${(err as Error).message}`]);
    }
  }
  if (typeof entry["format"] === "string") {
    const format = FORMATS[entry["format"]];
    if (format === undefined) throw new SuiteDefinitionError(where, [`format: "${entry["format"]}" is not one of ${Object.keys(FORMATS).join(", ")}`]);
    out["format"] = format;
  }
  return out;
}

/** `${VAR}` from rigd's environment (a password stays out of the file); an unset one is a problem. */
function expandEnv(text: string, env: NodeJS.ProcessEnv, problems: string[]): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    const value = env[name];
    if (value === undefined) problems.push(`history.postgres: \${${name}} is not set in rigd's environment`);
    return value ?? "";
  });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
