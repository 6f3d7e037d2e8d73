/**
 * The page's way to rigd: the rig API through Connect (`@connectrpc/connect-web`, the
 * generated client) with `authorization: Bearer <token>` on every call, and the recorded
 * runs rigd serves under `/ui/runs`. The token arrives once in the URL fragment
 * (`/ui/#token=...`, never sent to a server), is kept in sessionStorage and removed from
 * the address bar.
 */
import { createClient, type Client, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { fromJsonString } from "@bufbuild/protobuf";
import { EnvironmentService } from "../../src/gen/rig/v1/environment_service_pb.js";
import { EventSchema, type Event } from "../../src/gen/rig/v1/event_pb.js";
import { SuiteService } from "../../src/gen/rig/v1/suite_service_pb.js";

const TOKEN_KEY = "rig.token";

/** Takes the token from the fragment (keeping it in sessionStorage) or from sessionStorage. */
export function takeToken(): string {
  const params = new URLSearchParams(location.hash.slice(1));
  const fromUrl = params.get("token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", `${location.pathname}${location.search}${rest ? `#${rest}` : ""}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? "";
}

/** The rig API client of this page. */
export type RigClient = Client<typeof EnvironmentService>;

/** The suites client of this page (rig.v1.SuiteService). */
export type SuitesClient = Client<typeof SuiteService>;

/** The Connect transport to the rigd serving this page, with the token on every call. */
function transport(token: string) {
  const bearer: Interceptor = (next) => (req) => {
    req.header.set("authorization", `Bearer ${token}`);
    return next(req);
  };
  return createConnectTransport({ baseUrl: location.origin, interceptors: [bearer] });
}

/** A client that talks to the rigd serving this page. */
export function rigClient(token: string): RigClient {
  return createClient(EnvironmentService, transport(token));
}

/** The suites of the rigd serving this page. */
export function suitesClient(token: string): SuitesClient {
  return createClient(SuiteService, transport(token));
}

/** A recorded run of this rigd's RIG_DIR. */
export interface RecordedRun {
  readonly id: string;
  readonly modified: number;
  readonly bytes: number;
}

/** The runs recorded in rigd's RIG_DIR/logs, newest first. */
export async function recordedRuns(token: string): Promise<RecordedRun[]> {
  const res = await fetch("/ui/runs", { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return (await res.json()) as RecordedRun[];
}

/** The events of one recorded run, streamed in pages (see eventPages). */
export async function* recordedEvents(token: string, id: string): AsyncGenerator<Event[]> {
  const res = await fetch(`/ui/runs/${encodeURIComponent(id)}/events.jsonl`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok || !res.body) throw new Error(`${res.status} ${await res.text()}`);
  yield* eventPages(res.body);
}

/** Events parsed per page; the page yields to the browser between pages. */
const PAGE_EVENTS = 1000;

/**
 * The events of an `events.jsonl` byte stream (a recorded run from rigd, a dropped file),
 * in pages of PAGE_EVENTS parsed as the bytes arrive, with a pause for the browser after
 * each page: a 100,000-event run is drawn while it loads and never freezes the page.
 * Bad lines (a torn last line of a killed rigd) are skipped.
 */
export async function* eventPages(body: ReadableStream<Uint8Array>): AsyncGenerator<Event[]> {
  const decoder = new TextDecoder();
  let rest = "";
  let page: Event[] = [];
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    rest += done ? decoder.decode() : decoder.decode(value, { stream: true });
    const lines = rest.split("\n");
    rest = done ? "" : (lines.pop() ?? "");
    for (const line of lines) {
      const event = parseEventLine(line);
      if (event) page.push(event);
      if (page.length >= PAGE_EVENTS) {
        yield page;
        page = [];
        await new Promise((r) => setTimeout(r, 0));
      }
    }
    if (done) break;
  }
  if (page.length) yield page;
}

function parseEventLine(line: string): Event | undefined {
  if (!line.trim()) return undefined;
  try {
    return fromJsonString(EventSchema, line, { ignoreUnknownFields: true });
  } catch {
    return undefined;
  }
}
