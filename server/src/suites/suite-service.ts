/**
 * The rig.v1.SuiteService handlers over a SuiteHost: requests in, host calls, errors to
 * Connect codes. rigd serves it on its port behind the same token as the rest of the API.
 */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { SuiteService } from "../gen/rig/v1/suite_service_pb.js";
import { SuiteDefinitionError } from "./suite-definition.js";
import { SuiteRequestError, type SuiteHost } from "./suite-host.js";

const CODES: Readonly<Record<SuiteRequestError["kind"], Code>> = {
  "not-found": Code.NotFound,
  invalid: Code.InvalidArgument,
  state: Code.FailedPrecondition,
};

/** A host error as a Connect error with the right code. */
function toConnectError(err: unknown): unknown {
  if (err instanceof SuiteRequestError) return new ConnectError(err.message, CODES[err.kind]);
  if (err instanceof SuiteDefinitionError) return new ConnectError(err.message, Code.InvalidArgument);
  return err;
}

/** Runs a host call, turning its errors into Connect errors. */
async function translated<T>(body: () => T | Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toConnectError(err);
  }
}

/** The handlers of rig.v1.SuiteService. */
export function createSuiteService(host: SuiteHost): ServiceImpl<typeof SuiteService> {
  return {
    async registerSuite(req) {
      if (!req.suite) throw new ConnectError("suite is required", Code.InvalidArgument);
      const suite = req.suite;
      return { suite: await translated(() => host.register(suite)) };
    },
    listSuites() {
      return { suites: host.list() };
    },
    async startRun(req) {
      if (!req.suite) throw new ConnectError("suite is required: the name of a registered suite (rig suites lists them)", Code.InvalidArgument);
      return translated(() => host.start(req));
    },
    async cancelRun(req) {
      return { run: await translated(() => host.cancel(req.runId)) };
    },
    async listRuns(req) {
      return { runs: await host.listRuns(req.suite, req.limit) };
    },
    async getRun(req) {
      return { run: await translated(() => host.getRun(req.runId, req.includeOutput)) };
    },
    async *watchRun(req, ctx) {
      try {
        yield* host.watch(req.runId, ctx.signal);
      } catch (err) {
        throw toConnectError(err);
      }
    },
    async getFlakyReport(req) {
      return { tests: await translated(() => host.flaky(req.suite, req.lastRuns)) };
    },
  };
}
