/**
 * The internal `test` type of the virtual ~test node: no ingress, no process. It takes
 * part in the lifecycle so it becomes ready exactly when every real service is, which
 * is when the orchestrator publishes environment.up.
 */
import type { ServiceType } from "./service-type.js";
import { runUntilStopped } from "./until-stopped.js";

/** The test node type. */
export function createTestNodeType(): ServiceType {
  return {
    name: "test",
    defaults: { defaultProtocol: undefined, serverHooks: [], attributes: [] },
    publish: async () => ({}),
    start: async () => runUntilStopped(),
  };
}
