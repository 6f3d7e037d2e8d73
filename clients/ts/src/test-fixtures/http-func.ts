/**
 * A small func service for the SDK's own tests: an HTTP server in the test process on
 * the service's default ingress, answering every request with `body`.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import { rig } from "../index.js";
import type { FuncBuilder, FuncContext } from "../index.js";

/** Hooks to observe the func from a test. */
export interface HttpFuncProbe {
  /** Called with the func's context once it listens. */
  readonly onStart?: (context: FuncContext) => void;
  /** Called when the service is stopped (after the server closed). */
  readonly onStop?: () => void;
}

/** A func service serving `body` over HTTP until it is stopped. */
export function httpFunc(body = "ok", probe: HttpFuncProbe = {}): FuncBuilder {
  return rig.func(async (context) => {
    const server = createServer((_req, res) => res.end(body));
    const { host, port } = context.wiring.ingress();
    server.listen(port, host);
    await once(server, "listening");
    probe.onStart?.(context);
    return async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      probe.onStop?.();
    };
  });
}
