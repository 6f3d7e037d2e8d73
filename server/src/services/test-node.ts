/**
 * The internal `test` type of the virtual ~test node: no ingress, no process. It takes
 * part in the lifecycle so it becomes ready exactly when every real service is, which
 * is when the orchestrator publishes environment.up.
 */
import type { ExitStatus, ServiceType } from "./service-type.js";

/** The test node type. */
export function createTestNodeType(): ServiceType {
  return {
    name: "test",
    defaults: { defaultProtocol: undefined, serverHooks: [], attributes: [] },
    publish: async () => ({}),
    async start() {
      let markStopped: (status: ExitStatus) => void = () => {};
      const exited = new Promise<ExitStatus>((r) => {
        markStopped = r;
      });
      return {
        exited,
        stop: async () => {
          markStopped({ code: 0, signal: null });
          return exited;
        },
      };
    },
  };
}
