/**
 * The first hook plugin: POSTs a JSON summary of run starts, test results and run ends
 * to a URL (Slack relays, CI bots, PagerDuty bridges). Async: a slow receiver never holds
 * up a run; a failed POST is logged by the caller.
 */
import { toJson } from "@bufbuild/protobuf";
import type { SuiteHook } from "../contract/suite-hooks.js";
import { RunSchema, TestCaseSchema, type Run, type TestCase } from "../gen/rig/v1/suite_service_pb.js";
import type { WebhookConfig, WebhookEvent } from "./suites-file.js";

/** A receiver gets this long to answer. */
const TIMEOUT_MS = 5000;

/** A hook that POSTs `{ event, run, test? }` (the API's JSON shapes) to `config.url`. */
export function webhookHook(config: WebhookConfig): SuiteHook {
  const wants = (event: WebhookEvent): boolean => config.events.includes(event);
  const post = async (event: WebhookEvent, run: Run, test?: TestCase): Promise<void> => {
    const body = JSON.stringify({
      event,
      run: toJson(RunSchema, run),
      ...(test ? { test: toJson(TestCaseSchema, test) } : {}),
    });
    const res = await fetch(config.url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) throw new Error(`webhook ${config.url} answered ${res.status}`);
  };
  return {
    name: `webhook ${config.url}`,
    ...(wants("run.started") ? { runStarted: (run: Run) => post("run.started", run) } : {}),
    ...(wants("test.finished") ? { testFinished: (run: Run, test: TestCase) => post("test.finished", run, test) } : {}),
    ...(wants("run.finished") ? { runFinished: (run: Run) => post("run.finished", run) } : {}),
  };
}
