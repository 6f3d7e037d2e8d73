/**
 * Per-test results read from a test runner's own machine-readable output: JUnit XML
 * (node --test --test-reporter=junit, pytest --junitxml), `go test -json`, and TAP
 * (node --test --test-reporter=tap). One parser per format, one shape out.
 */
import type { XMLParser } from "fast-xml-parser";

/** One test's result in one attempt. */
export interface ParsedTest {
  readonly name: string;
  readonly result: "passed" | "failed" | "skipped";
  readonly durationMs: number;
  readonly output: string;
}

type XmlNode = Record<string, unknown>;

const asArray = (value: unknown): XmlNode[] => (value === undefined ? [] : Array.isArray(value) ? (value as XmlNode[]) : [value as XmlNode]);
const text = (value: unknown): string =>
  value === undefined ? "" : typeof value === "object" ? String((value as XmlNode)["#text"] ?? "") : String(value);

/** Test cases of a JUnit XML report (nested testsuites flattened; node's describe names joined with " > "). */
export async function parseJunit(xml: string): Promise<ParsedTest[]> {
  // Loaded at the first JUnit report, not at rigd's start.
  const { XMLParser: Parser } = await import("fast-xml-parser");
  const parser: XMLParser = new Parser({ ignoreAttributes: false, attributeNamePrefix: "@", parseTagValue: false });
  const doc = parser.parse(xml) as XmlNode;
  const tests: ParsedTest[] = [];
  const visitSuite = (suite: XmlNode, path: string[]): void => {
    for (const tc of asArray(suite["testcase"])) {
      const failure = [...asArray(tc["failure"]), ...asArray(tc["error"])];
      const skipped = tc["skipped"] !== undefined;
      const output = [
        ...failure.map((f) => [f["@message"], text(f)].filter(Boolean).join("\n")),
        text(tc["system-out"]),
        text(tc["system-err"]),
      ].filter(Boolean);
      tests.push({
        name: [...path, String(tc["@name"] ?? "")].join(" > "),
        result: failure.length ? "failed" : skipped ? "skipped" : "passed",
        durationMs: Math.round(Number(tc["@time"] ?? 0) * 1000),
        output: output.join("\n"),
      });
    }
    for (const inner of asArray(suite["testsuite"])) {
      // node's reporter nests a testsuite per describe(); pytest's one suite is named "pytest".
      const name = String(inner["@name"] ?? "");
      visitSuite(inner, name && name !== "pytest" ? [...path, name] : path);
    }
  };
  const root = (doc["testsuites"] as XmlNode | undefined) ?? { testsuite: doc["testsuite"] };
  visitSuite(typeof root === "object" ? root : {}, []);
  return tests;
}

interface GoTestEvent {
  Action?: string;
  Test?: string;
  Elapsed?: number;
  Output?: string;
}

/** Test results of `go test -json` output (subtests are tests of their own, "TestA/sub"). */
export function parseGoTestJson(stdout: string): ParsedTest[] {
  const outputs = new Map<string, string[]>();
  const done = new Map<string, ParsedTest>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    let event: GoTestEvent;
    try {
      event = JSON.parse(line) as GoTestEvent;
    } catch {
      continue; // a test printed something that looks like JSON
    }
    const name = event.Test;
    if (!name) continue;
    if (event.Action === "output") {
      const lines = outputs.get(name) ?? [];
      lines.push(event.Output ?? "");
      outputs.set(name, lines);
    } else if (event.Action === "pass" || event.Action === "fail" || event.Action === "skip") {
      done.set(name, {
        name,
        result: event.Action === "pass" ? "passed" : event.Action === "fail" ? "failed" : "skipped",
        durationMs: Math.round((event.Elapsed ?? 0) * 1000),
        output: (outputs.get(name) ?? []).join(""),
      });
    }
  }
  return [...done.values()];
}

const TAP_RESULT = /^(\s*)(not ok|ok) \d+ - (.*?)(?:\s+#\s*(SKIP|TODO)\b.*)?$/i;
const TAP_DURATION = /^\s*duration_ms:\s*([\d.]+)/;

/** Test results of node's TAP reporter (nested tests named "parent > child"; parents that only group are left out). */
export function parseTap(stdout: string): ParsedTest[] {
  const tests: ParsedTest[] = [];
  const pending: { indent: number; name: string }[] = [];
  let last: { test: ParsedTest; indent: number; yaml: string[] } | undefined;
  const flush = (): void => {
    if (!last) return;
    const duration = last.yaml.map((l) => TAP_DURATION.exec(l)?.[1]).find(Boolean);
    tests.push({ ...last.test, durationMs: Math.round(Number(duration ?? 0)), output: last.yaml.join("\n") });
    last = undefined;
  };
  for (const line of stdout.split("\n")) {
    const subtest = /^(\s*)# Subtest: (.*)$/.exec(line);
    if (subtest) {
      flush();
      pending.push({ indent: subtest[1]!.length, name: subtest[2]! });
      continue;
    }
    const match = TAP_RESULT.exec(line);
    if (match) {
      flush();
      const indent = match[1]!.length;
      // A result closes its own "# Subtest:" line (and any left open deeper).
      while (pending.length && pending.at(-1)!.indent >= indent) pending.pop();
      const name = [...pending.map((p) => p.name), match[3]!].join(" > ");
      // A describe() or a test with subtests: its children speak for it.
      if (tests.some((t) => t.name.startsWith(`${name} > `))) continue;
      const result = match[4] ? "skipped" : match[2] === "ok" ? "passed" : "failed";
      last = { test: { name, result, durationMs: 0, output: "" }, indent, yaml: [] };
      continue;
    }
    if (last && line.startsWith(" ".repeat(last.indent + 2))) last.yaml.push(line.trim());
    else flush();
  }
  flush();
  return tests;
}
