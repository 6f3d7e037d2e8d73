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

/** The events of one recorded run. */
export async function recordedEvents(token: string, id: string): Promise<Event[]> {
  const res = await fetch(`/ui/runs/${encodeURIComponent(id)}/events.jsonl`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
  return parseEventLines(await res.text());
}

/** Events from the text of an `events.jsonl` (one JSON event a line; bad lines skipped). */
export function parseEventLines(text: string): Event[] {
  const events: Event[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      events.push(fromJsonString(EventSchema, line, { ignoreUnknownFields: true }));
    } catch {
      // a torn last line of a killed rigd: skipped
    }
  }
  return events;
}
