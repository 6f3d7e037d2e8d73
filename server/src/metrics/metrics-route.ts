/**
 * `GET /metrics` on rigd's port, in the Prometheus text format, behind the same token as
 * the API (`authorization: Bearer <token>`; a Prometheus scrape config sets it with
 * `authorization: { credentials_file: ~/.rig/rigd-<version>.token }`). Every other path
 * goes to the next handler untouched.
 */
import type http from "node:http";
import type http2 from "node:http2";
import type { Scrape } from "./lazy-registry.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;

/** What the route needs from rigd. */
export interface MetricsRouteOptions {
  /** Every metric in the Prometheus text format. */
  readonly scrape: () => Promise<Scrape>;
  /** Whether an `authorization` header carries rigd's token (owned by auth/). */
  readonly authorized: (authorization: string | undefined) => boolean;
}

/** Wraps `next` so `/metrics` is served from the registry. */
export function withMetrics<H extends (req: Request, res: Response) => void>(next: H, options: MetricsRouteOptions): H {
  return ((req: Request, res: Response) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      next(req, res);
      return;
    }
    const reply = (status: number, type: string, body: string): void => {
      res.statusCode = status;
      res.setHeader("content-type", type);
      res.end(body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "text/plain; charset=utf-8", "rigd: /metrics only answers GET\n");
    if (!options.authorized(req.headers["authorization"])) {
      res.setHeader("www-authenticate", 'Bearer realm="rigd"');
      return reply(401, "text/plain; charset=utf-8", "rigd: /metrics needs authorization: Bearer <token> (the token is in RIG_DIR/rigd-<version>.token)\n");
    }
    options.scrape().then(
      ({ contentType, text }) => reply(200, contentType, text),
      (err: unknown) => reply(500, "text/plain; charset=utf-8", `rigd: cannot collect metrics: ${String(err)}\n`),
    );
  }) as H;
}
