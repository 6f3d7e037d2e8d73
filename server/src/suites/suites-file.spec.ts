import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { SuiteDefinitionError } from "./suite-definition.js";
import { loadSuitesConfig, parseSuitesConfig } from "./suites-file.js";

const problemsOf = (json: unknown): string => {
  try {
    parseSuitesConfig(json, "/etc/rig/rig.suites.json");
  } catch (err) {
    assert.ok(err instanceof SuiteDefinitionError);
    return err.message;
  }
  return assert.fail("expected a SuiteDefinitionError");
};

describe("the suites file", () => {
  it("fills defaults, infers the report format and filter flag, resolves dirs against the file", () => {
    const config = parseSuitesConfig(
      {
        suites: [
          { name: "go", dir: "go", command: "go test -json ./...", timeout: "1m30s" },
          { name: "py", dir: "/abs/py", command: 'pytest --junitxml="$RIG_SUITE_REPORT"', maxAttempts: 3 },
          { name: "node", dir: ".", command: "node --test --test-reporter=tap", schedule: "*/5 * * * *", format: "tap" },
          { name: "make", dir: ".", command: "make e2e" },
        ],
      },
      "/etc/rig/rig.suites.json",
    );
    const [go, py, node, make] = config.suites;
    assert.deepEqual([go?.format, go?.filterFlag, go?.dir, go?.timeoutMs, go?.namespace, go?.maxAttempts], ["go-test-json", "-run", "/etc/rig/go", 90_000, "default", 1]);
    assert.deepEqual([py?.format, py?.filterFlag, py?.dir, py?.maxAttempts, py?.timeoutMs], ["junit", "-k", "/abs/py", 3, 600_000]);
    assert.deepEqual([node?.format, node?.filterFlag, node?.schedule], ["tap", "--test-name-pattern", "*/5 * * * *"]);
    assert.deepEqual([make?.format, make?.filterFlag], ["exit-code", ""]);
    assert.deepEqual(config.retention, { keepDays: 30, keepRunsPerSuite: 500 });
  });

  it("names every problem with its path", () => {
    const message = problemsOf({
      suites: [
        { name: "ok", dir: ".", command: "true" },
        { name: "ok", dir: ".", command: "true" },
        { name: "Bad", dir: "", command: " ", schedule: "whenever", timeout: "soon", env: {} },
        { name: "t", dir: ".", command: "x", format: "xml" },
        { name: "u", dir: ".", command: "x", comand: "typo" },
      ],
      history: { keepDays: -1, keep: 3 },
      webhooks: [{ url: "ftp://x" }, { url: "http://x", events: ["run.exploded"] }],
      extra: true,
    });
    for (const expected of [
      /^\/etc\/rig\/rig\.suites\.json: /,
      /extra: unknown field/,
      /suites\[1\]\(ok\)\.name: "ok" is used twice/,
      /suites\[2\]\(Bad\): timeout: invalid duration "soon"/,
      /suites\[3\]\(t\): format: "xml" is not one of exit-code, junit, go-test-json, tap/,
      /suites\[4\]\(u\): .*comand/,
      /history\.keepDays: expected a number >= 0/,
      /history\.keep: unknown field/,
      /webhooks\[0\]\.url: expected an http\(s\) URL/,
      /webhooks\[1\]\.events: unknown run\.exploded/,
    ]) {
      assert.match(message, expected);
    }
    const suiteProblems = problemsOf({ suites: [{ name: "Bad", dir: "", command: " ", schedule: "whenever" }] });
    assert.match(suiteProblems, /name: "Bad" must be/);
    assert.match(suiteProblems, /command: is empty/);
    assert.match(suiteProblems, /dir: is empty/);
    assert.match(suiteProblems, /schedule: "whenever" is not a cron expression/);
  });

  it("is optional in RIG_DIR, required when named, and must be JSON", () => {
    const dir = mkdtempSync(join(tmpdir(), "rig-suites-file-"));
    try {
      assert.deepEqual(loadSuitesConfig(dir, undefined).suites, []);
      assert.throws(() => loadSuitesConfig(dir, join(dir, "missing.json")), /missing\.json: cannot read it as JSON: ENOENT/);
      writeFileSync(join(dir, "rig.suites.json"), "{ nope");
      assert.throws(() => loadSuitesConfig(dir, undefined), /rig\.suites\.json: cannot read it as JSON/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
