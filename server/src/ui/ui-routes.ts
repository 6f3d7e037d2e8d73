/**
 * The dashboard's server side: rigd serves the browser app (built into `dist/ui/app/` at
 * package time) at `/ui/` on its own port, and the recorded runs of its RIG_DIR for replay.
 *
 * The app's files hold no data, so they are served to any request the Host/Origin gate
 * lets through (a browser cannot send a header on navigation; like Jupyter, the token
 * travels in the URL fragment, which never reaches a server). Everything that holds data
 * needs `authorization: Bearer <token>`: the API calls the page makes, and `/ui/runs/...`
 * here. Every other path goes to the API handler untouched.
 */
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import type http from "node:http";
import type http2 from "node:http2";
import { extname, join, normalize, sep } from "node:path";
import { isSea } from "node:sea";
import { fileURLToPath } from "node:url";
import { inRigdBundle } from "../os/rigd-bundle.js";

type Request = http.IncomingMessage | http2.Http2ServerRequest;
type Response = http.ServerResponse | http2.Http2ServerResponse;
/** A Node request handler for both the http and the http2 compatibility API. */
export type UiRequestHandler = (req: Request, res: Response) => void;

/** What the dashboard routes need from rigd. */
export interface UiOptions {
  /** `RIG_DIR/logs`: one folder per recorded run, each with its `events.jsonl`. */
  readonly logsDir: string;
  /** Whether an `authorization` header carries rigd's token (constant time, owned by auth/). */
  readonly authorized: (authorization: string | undefined) => boolean;
  /** The built app; defaults to `dist/ui/app/` beside this file. */
  readonly appDir?: string;
}

/**
 * Where the built browser app lives in a checkout or an installed `@rig/server`: beside
 * this file, or, when rigd runs as dist/rigd.cjs (a CommonJS bundle has no
 * `import.meta.url`), in dist/ui/app/ beside the bundle. Undefined in the self-contained
 * rigd binary, which ships no dashboard.
 */
export function defaultAppDir(): string | undefined {
  if (!inRigdBundle) return fileURLToPath(new URL("./app/", import.meta.url));
  return isSea() ? undefined : join(__dirname, "ui", "app");
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/** How many recorded runs `/ui/runs` lists (newest first). */
const MAX_LISTED_RUNS = 200;

/** Wraps rigd's API handler so `/ui` and everything under it is the dashboard's. */
export function withUi<H extends UiRequestHandler>(api: H, options: UiOptions): H {
  const appDir = options.appDir ?? defaultAppDir();
  return ((req: Request, res: Response) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (path !== "/ui" && !path.startsWith("/ui/")) {
      api(req, res);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      reply(res, 405, "text/plain; charset=utf-8", "rigd: the dashboard only answers GET\n");
      return;
    }
    if (path === "/ui") {
      res.statusCode = 308;
      res.setHeader("location", "/ui/");
      res.end();
      return;
    }
    const handle = path.startsWith("/ui/runs") ? serveRuns(path, req, res, options) : serveApp(path, res, appDir);
    handle.catch((err: unknown) => reply(res, 500, "text/plain; charset=utf-8", `rigd: ${String(err)}\n`));
  }) as H;
}

/** `/ui/` and its assets, from the built app; never a path outside it. */
async function serveApp(path: string, res: Response, appDir: string | undefined): Promise<void> {
  if (appDir === undefined) {
    reply(res, 404, "text/plain; charset=utf-8", "rigd: this rigd binary has no dashboard; use rigd from @rig/server\n");
    return;
  }
  const relative = decodeURIComponent(path.slice("/ui/".length)) || "index.html";
  const file = normalize(join(appDir, relative));
  if (!file.startsWith(normalize(appDir + sep)) || relative.includes("\0")) {
    reply(res, 404, "text/plain; charset=utf-8", "rigd: not found\n");
    return;
  }
  const body = await readFile(file).catch(() => undefined);
  if (body === undefined) {
    const hint = relative === "index.html" ? " (the dashboard is not built: run `node server/ui/build-ui.mjs`)" : "";
    reply(res, 404, "text/plain; charset=utf-8", `rigd: not found${hint}\n`);
    return;
  }
  res.setHeader("cache-control", "no-cache");
  res.setHeader("x-content-type-options", "nosniff");
  // The page loads only its own files and talks only to rigd.
  res.setHeader("content-security-policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
  reply(res, 200, CONTENT_TYPES[extname(file)] ?? "application/octet-stream", body);
}

/** `/ui/runs` (the recorded runs, newest first) and `/ui/runs/ID/events.jsonl` (one run), behind the token. */
async function serveRuns(path: string, req: Request, res: Response, options: UiOptions): Promise<void> {
  const authorization = req.headers["authorization"];
  if (!options.authorized(Array.isArray(authorization) ? authorization[0] : authorization)) {
    reply(res, 401, "text/plain; charset=utf-8", "rigd: the dashboard's data needs authorization: Bearer <token>\n");
    return;
  }
  if (path === "/ui/runs" || path === "/ui/runs/") {
    reply(res, 200, "application/json", JSON.stringify(await listRuns(options.logsDir)));
    return;
  }
  const match = /^\/ui\/runs\/([A-Za-z0-9._~-]+)\/events\.jsonl$/.exec(path);
  const id = match?.[1];
  if (id === undefined || id.startsWith(".")) {
    reply(res, 404, "text/plain; charset=utf-8", "rigd: no such run\n");
    return;
  }
  const file = join(options.logsDir, id, "events.jsonl");
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) {
    reply(res, 404, "text/plain; charset=utf-8", `rigd: no recorded run ${id}\n`);
    return;
  }
  res.statusCode = 200;
  res.setHeader("content-type", "application/x-ndjson");
  res.setHeader("content-length", String(info.size));
  res.setHeader("cache-control", "no-store");
  const stream = createReadStream(file);
  stream.on("error", () => res.end());
  stream.pipe(res as NodeJS.WritableStream);
}

/** A recorded run as `/ui/runs` lists it. */
export interface RecordedRun {
  readonly id: string;
  /** When its log was last written (ms since the epoch). */
  readonly modified: number;
  readonly bytes: number;
}

async function listRuns(logsDir: string): Promise<RecordedRun[]> {
  const names = await readdir(logsDir).catch(() => [] as string[]);
  const runs = await Promise.all(
    names.map(async (id) => {
      const info = await stat(join(logsDir, id, "events.jsonl")).catch(() => undefined);
      return info ? { id, modified: info.mtimeMs, bytes: info.size } : undefined;
    }),
  );
  return runs
    .filter((r): r is RecordedRun => r !== undefined)
    .sort((a, b) => b.modified - a.modified)
    .slice(0, MAX_LISTED_RUNS);
}

function reply(res: Response, status: number, type: string, body: string | Buffer): void {
  res.statusCode = status;
  res.setHeader("content-type", type);
  res.end(body);
}
