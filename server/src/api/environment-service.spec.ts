/**
 * The EnvironmentService and Health handlers over real sockets and every protocol rigd
 * speaks, with a scripted in-memory backend (test-only) standing in for the orchestrator
 * so each error path can be provoked on purpose.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import type { Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { Health, HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import {
  DestroyEnvironmentResponseSchema,
  EnvironmentSchema,
  EnvironmentService,
  SpecProblemsSchema,
} from "../gen/rig/v1/environment_service_pb.js";
import type {
  DestroyEnvironmentRequest,
  DestroyEnvironmentResponse,
  Environment,
  PostEventRequest,
} from "../gen/rig/v1/environment_service_pb.js";
import { EventSchema } from "../gen/rig/v1/event_pb.js";
import type { Event } from "../gen/rig/v1/event_pb.js";
import type { EnvironmentSpec } from "../gen/rig/v1/spec_pb.js";
import {
  BadRequestError,
  EnvironmentNotFoundError,
  SpecInvalidError,
  StateError,
} from "../contract/errors.js";
import { createApiHandler } from "./api-handler.js";
import { CallTracker } from "./call-tracker.js";
import { listenCleartext } from "./cleartext-server.js";
import type { CleartextServer } from "./cleartext-server.js";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import { noServiceControl } from "../testing/no-service-control.js";
import { rejection } from "../testing/rigd-harness.js";

/** A backend with one known environment "env-1" whose behaviour tests script by spec name. */
class ScriptedBackend implements EnvironmentBackend {
  liveCount = 0;
  exec = noServiceControl.exec;
  copyTo = noServiceControl.copyTo;
  copyFrom = noServiceControl.copyFrom;
  serviceLogs = noServiceControl.serviceLogs;
  stopService = noServiceControl.stopService;
  restartService = noServiceControl.restartService;
  /** Set when a watch ends, with whether its signal was aborted. */
  watchEnded: Promise<boolean>;
  #resolveWatchEnded!: (aborted: boolean) => void;

  constructor() {
    this.watchEnded = new Promise((resolve) => (this.#resolveWatchEnded = resolve));
  }

  async create(spec: EnvironmentSpec): Promise<{ id: string; envDir: string }> {
    switch (spec.name) {
      case "invalid":
        throw new SpecInvalidError([
          { path: "services[0](api)", message: "unknown type \"nope\"" },
          { path: "services[1](db).egresses[0]", message: "egress to unknown service \"cache\"" },
          { path: "", message: "dependency cycle: a -> b -> a" },
        ]);
      case "state":
        throw new StateError("rigd is shutting down");
      case "bad":
        throw new BadRequestError("unknown callback id 42");
      case "boom":
        throw new Error("disk on fire");
      default:
        return { id: "env-1", envDir: "/tmp/env-1" };
    }
  }

  async *watch(id: string, afterSeq: bigint, _filter: unknown, signal: AbortSignal): AsyncIterable<Event> {
    this.#known(id);
    try {
      for (let seq = afterSeq + 1n; seq <= 3n; seq++) yield event(id, seq);
      // Then follow "live": nothing more happens until the caller goes away.
      await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
    } finally {
      this.#resolveWatchEnded(signal.aborted);
    }
  }

  get(id: string): Environment {
    this.#known(id);
    return create(EnvironmentSchema, { id, name: "demo", envDir: "/tmp/env-1" });
  }

  list(): Environment[] {
    return [this.get("env-1")];
  }

  log(id: string): AsyncIterable<Event> {
    this.#known(id);
    return (async function* () {
      yield event(id, 1n);
      yield event(id, 2n);
    })();
  }

  observe(id: string, observer: (event: Event) => void): void {
    this.#known(id);
    observer(event(id, 1n));
  }

  async post(request: PostEventRequest): Promise<bigint> {
    this.#known(request.environmentId);
    return 7n;
  }

  async destroy(request: DestroyEnvironmentRequest): Promise<DestroyEnvironmentResponse> {
    this.#known(request.environmentId);
    if (request.reason === "twice") throw new StateError("already destroying");
    return create(DestroyEnvironmentResponseSchema, { envDir: "/tmp/env-1" });
  }

  async shutdown(): Promise<void> {}

  #known(id: string): void {
    if (id !== "env-1") throw new EnvironmentNotFoundError(id);
  }
}

function event(environmentId: string, seq: bigint): Event {
  return create(EventSchema, { environmentId, seq, type: "test.note" });
}

describe("EnvironmentService over real transports", () => {
  let server: CleartextServer;
  let backend: ScriptedBackend;
  let tracker: CallTracker;
  let setHealth: (status: ServingStatus) => void;
  let baseUrl: string;
  const transports: Record<string, () => Transport> = {
    "gRPC (h2c)": () => createGrpcTransport({ baseUrl }),
    "Connect binary (HTTP/1.1)": () => createConnectTransport({ baseUrl, httpVersion: "1.1" }),
    "Connect JSON (h2c)": () => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false }),
    "gRPC-Web (HTTP/1.1)": () => createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }),
  };

  before(async () => {
    backend = new ScriptedBackend();
    tracker = new CallTracker();
    const api = createApiHandler(backend, pino({ level: "silent" }));
    setHealth = (status) => api.health.setAll(status);
    server = await listenCleartext(tracker.wrap(api.handler), "127.0.0.1", 0);
    baseUrl = `http://127.0.0.1:${server.port}`;
  });
  after(async () => {
    await server.close(100);
  });

  for (const [name, transport] of Object.entries(transports)) {
    describe(name, () => {
      it("maps an invalid spec to INVALID_ARGUMENT listing every problem, with SpecProblems details", async () => {
        const client = createClient(EnvironmentService, transport());
        const err = await rejection(client.createEnvironment({ spec: { name: "invalid" } }));
        assert.equal(err.code, Code.InvalidArgument);
        assert.match(err.rawMessage, /unknown type "nope"/);
        assert.match(err.rawMessage, /egress to unknown service "cache"/);
        assert.match(err.rawMessage, /dependency cycle: a -> b -> a/);
        const [details] = err.findDetails(SpecProblemsSchema);
        assert.ok(details, "SpecProblems detail present");
        assert.deepEqual(
          details.problems.map((p) => [p.path, p.message]),
          [
            ["services[0](api)", "unknown type \"nope\""],
            ["services[1](db).egresses[0]", "egress to unknown service \"cache\""],
            ["", "dependency cycle: a -> b -> a"],
          ],
        );
      });

      it("maps unknown environments to NOT_FOUND and an empty id to INVALID_ARGUMENT", async () => {
        const client = createClient(EnvironmentService, transport());
        assert.equal((await rejection(client.getEnvironment({ environmentId: "nope" }))).code, Code.NotFound);
        assert.equal((await rejection(client.getEnvironment({ environmentId: "" }))).code, Code.InvalidArgument);
        assert.equal((await rejection(client.destroyEnvironment({}))).code, Code.InvalidArgument);
        const res = await client.getEnvironment({ environmentId: "env-1" });
        assert.equal(res.environment?.name, "demo");
      });
    });
  }

  it("maps state errors, bad requests and unexpected errors", async () => {
    const client = createClient(EnvironmentService, createGrpcTransport({ baseUrl }));
    assert.equal((await rejection(client.createEnvironment({ spec: { name: "state" } }))).code, Code.FailedPrecondition);
    assert.equal((await rejection(client.createEnvironment({ spec: { name: "bad" } }))).code, Code.InvalidArgument);
    assert.equal((await rejection(client.createEnvironment({}))).code, Code.InvalidArgument);
    const internal = await rejection(client.createEnvironment({ spec: { name: "boom" } }));
    assert.equal(internal.code, Code.Internal);
    assert.equal((await rejection(client.destroyEnvironment({ environmentId: "env-1", reason: "twice" }))).code, Code.FailedPrecondition);
    assert.equal((await rejection(client.postEvent({ environmentId: "env-1" }))).code, Code.InvalidArgument);
    const posted = await client.postEvent({ environmentId: "env-1", event: { case: "testNote", value: { message: "hi" } } });
    assert.equal(posted.seq, 7n);
  });

  it("streams WatchEvents from after_seq and aborts the backend watch when the client cancels", async () => {
    const client = createClient(EnvironmentService, createGrpcTransport({ baseUrl }));
    const abort = new AbortController();
    const seen: bigint[] = [];
    const stream = client.watchEvents({ environmentId: "env-1", afterSeq: 1n }, { signal: abort.signal });
    await assert.rejects(
      (async () => {
        for await (const res of stream) {
          seen.push(res.event!.seq);
          if (seen.length === 2) abort.abort();
        }
      })(),
      (err: unknown) => ConnectError.from(err).code === Code.Canceled,
    );
    assert.deepEqual(seen, [2n, 3n]);
    assert.equal(await backend.watchEnded, true, "backend watch saw its signal aborted");
  });

  it("reports NOT_FOUND on the streams for unknown environments, and streams GetLog", async () => {
    const client = createClient(EnvironmentService, createGrpcTransport({ baseUrl }));
    const drain = async (it: AsyncIterable<unknown>): Promise<void> => {
      for await (const _ of it);
    };
    assert.equal((await rejection(drain(client.watchEvents({ environmentId: "nope" })))).code, Code.NotFound);
    assert.equal((await rejection(drain(client.getLog({ environmentId: "nope" })))).code, Code.NotFound);
    const seqs: bigint[] = [];
    for await (const res of client.getLog({ environmentId: "env-1" })) seqs.push(res.event!.seq);
    assert.deepEqual(seqs, [1n, 2n]);
  });

  it("answers Connect JSON to a plain fetch over HTTP/1.1", async () => {
    const res = await fetch(`${baseUrl}/rig.v1.EnvironmentService/ListEnvironments`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { environments: { id: string }[] };
    assert.equal(body.environments[0]?.id, "env-1");

    const notFound = await fetch(`${baseUrl}/rig.v1.EnvironmentService/GetEnvironment`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ environmentId: "nope" }),
    });
    assert.equal(notFound.status, 404);
    assert.equal(((await notFound.json()) as { code: string }).code, "not_found");
  });

  it("serves grpc.health.v1: Check, List and Watch", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl }));
    assert.equal((await health.check({ service: "" })).status, ServingStatus.SERVING);
    assert.equal((await health.check({ service: "rig.v1.EnvironmentService" })).status, ServingStatus.SERVING);
    assert.equal((await rejection(health.check({ service: "nope.Service" }))).code, Code.NotFound);
    const listed = await health.list({});
    assert.deepEqual(Object.keys(listed.statuses).sort(), ["", "rig.v1.EnvironmentService"]);

    const abort = new AbortController();
    const statuses: ServingStatus[] = [];
    const watching = (async () => {
      for await (const res of health.watch({ service: "" }, { signal: abort.signal })) {
        statuses.push(res.status);
        if (statuses.length === 1) setHealth(ServingStatus.NOT_SERVING);
        if (statuses.length === 2) abort.abort();
      }
    })();
    await assert.rejects(watching, (err: unknown) => ConnectError.from(err).code === Code.Canceled);
    assert.deepEqual(statuses, [ServingStatus.SERVING, ServingStatus.NOT_SERVING]);
    setHealth(ServingStatus.SERVING);

    const unknown = health.watch({ service: "nope.Service" }, { signal: AbortSignal.timeout(5000) });
    for await (const res of unknown) {
      assert.equal(res.status, ServingStatus.SERVICE_UNKNOWN);
      break;
    }
  });

  it("counts calls in flight until they end, streams included", async () => {
    const client = createClient(EnvironmentService, createGrpcTransport({ baseUrl }));
    await client.listEnvironments({});
    // Streams cancelled by earlier tests finish on the server shortly after the client.
    await waitFor(() => tracker.inFlight === 0);
    const abort = new AbortController();
    const stream = client.watchEvents({ environmentId: "env-1" }, { signal: abort.signal })[Symbol.asyncIterator]();
    await stream.next(); // the stream is open on the server now
    assert.equal(tracker.inFlight, 1);
    abort.abort();
    await stream.next().catch(() => undefined);
    await waitFor(() => tracker.inFlight === 0);
  });
});


async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(condition(), "condition never became true");
}
