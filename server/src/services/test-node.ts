/**
 * The internal `test` type of the virtual ~test node: no ingress, no process. It takes
 * part in the lifecycle so it becomes ready exactly when every real service is, which
 * is when the orchestrator publishes environment.up.
 */
import { TEST_NODE_TYPE } from "../contract/plan.js";
import type { ServiceType } from "../contract/service-type.js";
import { runUntilStopped } from "../io/until-stopped.js";

/** The test node type. */
export function createTestNodeType(): ServiceType<Record<string, never>> {
  return {
    name: TEST_NODE_TYPE,
    internal: true,
    configOf: () => undefined,
    defaults: { defaultProtocol: undefined, serverHooks: [], attributes: [] },
    publish: async () => ({}),
    start: async () => runUntilStopped(),
  };
}
