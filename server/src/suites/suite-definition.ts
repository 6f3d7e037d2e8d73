/**
 * A suite as the runner uses it (every default filled), checked once where it comes in:
 * rigd's suites file or RegisterSuite. Problems name the field and what to do.
 */
import { isAbsolute, resolve } from "node:path";
import { create } from "@bufbuild/protobuf";
import { durationFromMs, durationMs, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Cron } from "croner";
import { ReportFormat, SuiteSchema, type Suite } from "../gen/rig/v1/suite_service_pb.js";

/** How per-test results are read (see ReportFormat in suite_service.proto). */
export type ReportKind = "exit-code" | "junit" | "go-test-json" | "tap";

/** A registered suite. */
export interface SuiteDefinition {
  readonly name: string;
  readonly namespace: string;
  /** Absolute working directory. */
  readonly dir: string;
  readonly command: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  /** Cron expression; "" when on demand only. */
  readonly schedule: string;
  readonly filter: string;
  readonly format: ReportKind;
  /** Flag that passes a filter to the command ("" when the format has none). */
  readonly filterFlag: string;
  readonly description: string;
  readonly source: "config" | "api";
}

/** A suite runs at most this long by default. */
export const DEFAULT_SUITE_TIMEOUT_MS = 10 * 60_000;
/** More attempts than this is a loop, not a retry policy. */
const MAX_ATTEMPTS = 20;
const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

/** The suite is not valid; `problems` lists each as `field: what is wrong`. */
export class SuiteDefinitionError extends Error {
  constructor(
    where: string,
    readonly problems: readonly string[],
  ) {
    super(`${where}: ${problems.join("; ")}`);
    this.name = "SuiteDefinitionError";
  }
}

const FORMAT_KIND: Readonly<Record<number, ReportKind | undefined>> = {
  [ReportFormat.EXIT_CODE]: "exit-code",
  [ReportFormat.JUNIT]: "junit",
  [ReportFormat.GO_TEST_JSON]: "go-test-json",
  [ReportFormat.TAP]: "tap",
};

/** The format a command's output is in when the suite does not say. */
export function inferFormat(command: string): ReportKind {
  if (/\bgo\s+test\b/.test(command) && /\s-json\b/.test(command)) return "go-test-json";
  if (/--junit-?xml|--test-reporter[= ]junit/.test(command)) return "junit";
  if (/--test-reporter[= ]tap/.test(command)) return "tap";
  return "exit-code";
}

/** The flag each runner takes a test filter with. */
export function defaultFilterFlag(command: string, format: ReportKind): string {
  if (format === "go-test-json") return "-run";
  if (/\bpytest\b/.test(command)) return "-k";
  if (/\bnode\b.*--test\b/.test(command)) return "--test-name-pattern";
  return "";
}

/**
 * Checks a proto Suite and fills its defaults; `baseDir` resolves a relative dir (the
 * config file's folder, or rigd's cwd for the API). Throws SuiteDefinitionError.
 */
export function defineSuite(suite: Suite, source: SuiteDefinition["source"], baseDir: string, where: string): SuiteDefinition {
  const problems: string[] = [];
  if (!NAME.test(suite.name)) {
    problems.push(`name: "${suite.name}" must be 1-63 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (!suite.command.trim()) problems.push("command: is empty; give the command that runs the tests, e.g. \"go test -json ./...\"");
  if (suite.dir === "") problems.push("dir: is empty; give the directory the command runs in");
  const timeoutMs = suite.timeout ? durationMs(suite.timeout) : DEFAULT_SUITE_TIMEOUT_MS;
  if (!(timeoutMs > 0)) problems.push("timeout: must be above 0");
  if (suite.maxAttempts > MAX_ATTEMPTS) problems.push(`maxAttempts: ${suite.maxAttempts} is above ${MAX_ATTEMPTS}`);
  if (suite.schedule) {
    try {
      new Cron(suite.schedule, { paused: true }).stop();
    } catch (err) {
      problems.push(`schedule: "${suite.schedule}" is not a cron expression (${(err as Error).message}); e.g. "*/5 * * * *" or "*/2 * * * * *"`);
    }
  }
  for (const key of Object.keys(suite.env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) problems.push(`env: "${key}" is not a variable name`);
  }
  const format = FORMAT_KIND[suite.format] ?? inferFormat(suite.command);
  if (problems.length) throw new SuiteDefinitionError(where, problems);
  return {
    name: suite.name,
    namespace: suite.namespace || "default",
    dir: isAbsolute(suite.dir) ? suite.dir : resolve(baseDir, suite.dir),
    command: suite.command,
    env: { ...suite.env },
    timeoutMs,
    maxAttempts: Math.max(1, suite.maxAttempts),
    schedule: suite.schedule,
    filter: suite.filter,
    format,
    filterFlag: suite.filterFlag || defaultFilterFlag(suite.command, format),
    description: suite.description,
    source,
  };
}

const KIND_FORMAT: Readonly<Record<ReportKind, ReportFormat>> = {
  "exit-code": ReportFormat.EXIT_CODE,
  junit: ReportFormat.JUNIT,
  "go-test-json": ReportFormat.GO_TEST_JSON,
  tap: ReportFormat.TAP,
};

/** The suite as the API shows it. */
export function suiteMessage(def: SuiteDefinition, nextRunMs?: number): Suite {
  return create(SuiteSchema, {
    name: def.name,
    namespace: def.namespace,
    dir: def.dir,
    command: def.command,
    env: { ...def.env },
    timeout: durationFromMs(def.timeoutMs),
    maxAttempts: def.maxAttempts,
    schedule: def.schedule,
    filter: def.filter,
    format: KIND_FORMAT[def.format],
    filterFlag: def.filterFlag,
    description: def.description,
    source: def.source,
    ...(nextRunMs !== undefined ? { nextRun: timestampFromMs(nextRunMs) } : {}),
  });
}
