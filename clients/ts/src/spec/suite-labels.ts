/**
 * Labels that link an environment to the rig suite run it was created in: rigd's suite
 * runner sets RIG_SUITE_RUN for the suite's command, and `rig.up(t, ...)` knows the test
 * (node:test's `t.name`, vitest's task name). rigd's run history then links each test to
 * its environments (see proto/rig/v1/suite_service.proto).
 */

/** The label keys rigd reads. */
export const SUITE_RUN_LABEL = "rig.suite.run";
export const SUITE_TEST_LABEL = "rig.suite.test";

/** The run id (and test name, when known); no labels outside a suite run. */
export function suiteLabels(testName: string | undefined, env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const run = env.RIG_SUITE_RUN;
  if (!run) return {};
  return testName ? { [SUITE_RUN_LABEL]: run, [SUITE_TEST_LABEL]: testName } : { [SUITE_RUN_LABEL]: run };
}
