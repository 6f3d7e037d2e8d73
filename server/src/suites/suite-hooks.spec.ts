/**
 * The hook plugin interface, in a rigd running in this process: a plugin passed to
 * startRigd is told of each run's start, each test and each end; a sync hook runs inline,
 * an async one in the background (shutdown waits for it), and a failing one breaks
 * nothing. The suites come from RIG_DIR/rig.suites.json, found without a flag.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import type { SuiteHook } from "../contract/suite-hooks.js";
import { RunStatus, SuiteService, TestResult } from "../gen/rig/v1/suite_service_pb.js";
import { composeBackend } from "../rigd/compose-backend.js";
import { startRigd } from "../rigd/start-rigd.js";
import { bearer } from "../testing/rigd-harness.js";

test("a suite hook plugin hears every run, sync and async, and a failing hook breaks nothing", async () => {
  const rigDir = mkdtempSync(join(tmpdir(), "rig-suite-hooks-"));
  writeFileSync(
    join(rigDir, "rig.suites.json"),
    JSON.stringify({
      suites: [
        { name: "ok", dir: rigDir, command: "echo fine" },
        { name: "broken", dir: rigDir, command: "echo about to fail; exit 3" },
      ],
    }),
  );
  const heard: string[] = [];
  const plugin: SuiteHook = {
    name: "recorder",
    runStarted: (run) => void heard.push(`started ${run.suite}`),
    testFinished: (run, t) => void heard.push(`test ${run.suite}/${t.name} ${TestResult[t.result]}`),
    runFinished: async (run) => {
      await sleep(200); // async: the run does not wait, shutdown does
      heard.push(`finished ${run.suite} ${RunStatus[run.status]}`);
    },
  };
  const failing: SuiteHook = {
    name: "failing",
    testFinished: () => {
      throw new Error("a plugin bug");
    },
    runFinished: async () => {
      throw new Error("an async plugin bug");
    },
  };
  const rigd = await startRigd({ rigDir, idleMs: 0, logger: pino({ level: "silent" }), createBackend: composeBackend, suiteHooks: [failing, plugin] });
  try {
    const suites = createClient(SuiteService, createGrpcTransport({ baseUrl: `http://${rigd.address}`, interceptors: [bearer(rigd.token)] }));
    for (const name of ["ok", "broken"]) {
      const { run } = await suites.startRun({ suite: name });
      for await (const msg of suites.watchRun({ runId: run!.id })) {
        if (msg.event.case === "finished") {
          assert.equal(msg.event.value.status, name === "ok" ? RunStatus.PASSED : RunStatus.FAILED);
          const { run: full } = await suites.getRun({ runId: run!.id, includeOutput: true });
          assert.match(full?.tests[0]?.attempts[0]?.output ?? "", name === "ok" ? /fine/ : /about to fail/, "exit-code results keep the output's tail");
        }
      }
    }
  } finally {
    await rigd.close();
    rmSync(rigDir, { recursive: true, force: true });
  }
  // The async runFinished of each run lands after its start and its test, and before close() returned.
  assert.ok(heard.indexOf("started ok") < heard.indexOf("test ok/ok PASSED"));
  assert.ok(heard.indexOf("test ok/ok PASSED") < heard.indexOf("finished ok PASSED"));
  assert.deepEqual(heard.slice().sort(), ["finished broken FAILED", "finished ok PASSED", "started broken", "started ok", "test broken/broken FAILED", "test ok/ok PASSED"]);
});
