/**
 * The report parsers on real output: node's JUnit and TAP reporters and go test -json
 * over nested tests (pytest's JUnit and the flat cases run in suites-live.spec.ts).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseGoTestJson, parseJunit, parseTap, type ParsedTest } from "./test-report.js";

const testdata = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "src", "suites", "testdata");
const run = promisify(execFile);
const env = { ...process.env };
delete env["NODE_TEST_CONTEXT"]; // node --test inside a node:test run would report to it

/** stdout of a command that may exit non-zero (failing tests). */
async function output(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await run(cmd, args, { cwd, env })).stdout;
  } catch (err) {
    return (err as { stdout: string }).stdout;
  }
}

const summary = (tests: ParsedTest[]) => tests.map((t) => `${t.name}: ${t.result}`).sort();

describe("test reports", () => {
  it("reads node's JUnit reporter, nested describe names joined with >", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rig-junit-"));
    try {
      const file = join(dir, "report.xml");
      await output("node", ["--test", "--test-reporter=junit", `--test-reporter-destination=${file}`, "nested.test.mjs"], join(testdata, "node"));
      const tests = await parseJunit(readFileSync(file, "utf8"));
      assert.deepEqual(summary(tests), ["group > deeper > leaf: failed", "group > inner: passed", "top: skipped"]);
      assert.match(tests.find((t) => t.result === "failed")?.output ?? "", /a failure by design/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads node's TAP reporter the same way", async () => {
    const tap = await output("node", ["--test", "--test-reporter=tap", "nested.test.mjs"], join(testdata, "node"));
    const tests = parseTap(tap);
    assert.deepEqual(summary(tests), ["group > deeper > leaf: failed", "group > inner: passed", "top: skipped"]);
    assert.match(tests.find((t) => t.result === "failed")?.output ?? "", /a failure by design/);
  });

  it("reads go test -json: subtests are tests, output goes to its test", async () => {
    const json = await output("go", ["test", "-json", "-count=1", "-run", "^(TestCompares|TestGroup|TestLater)$", "."], join(testdata, "go"));
    const tests = parseGoTestJson(json);
    assert.deepEqual(summary(tests), ["TestCompares: failed", "TestGroup/inner: passed", "TestGroup: passed", "TestLater: skipped"]);
    assert.match(tests.find((t) => t.name === "TestCompares")?.output ?? "", /about to fail by design/);
  });
});
