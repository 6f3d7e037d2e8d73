/**
 * Readiness checks against real servers on loopback: a net server, a node:http
 * server and @grpc/grpc-js servers (with and without grpc.health.v1).
 */
import assert from "node:assert/strict";
import * as http from "node:http";
import * as net from "node:net";
import { after, describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  HealthCheckRequestSchema,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../gen/grpc/health/v1/health_pb.js";
import type { HealthCheckRequest, HealthCheckResponse } from "../gen/grpc/health/v1/health_pb.js";
import type { ReadinessPlan } from "../contract/plan.js";
import { probeFor } from "./probe-for.js";
import { ReadinessTimeoutError } from "./readiness-timeout-error.js";
import { NudgeablePause } from "./nudgeable-pause.js";
import { DEFAULT_SCHEDULE, nextProbeDelayMs, pollSchedule } from "./poll-schedule.js";
import { waitUntilReady } from "./wait-until-ready.js";
import type { ReadinessAttempt } from "./wait-until-ready.js";

const HOST = "127.0.0.1";

/** Everything a test started, stopped when the file ends even if a test failed. */
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function plan(kind: ReadinessPlan["kind"], extra: Partial<ReadinessPlan> = {}): ReadinessPlan {
  return { kind, httpPath: "/", grpcService: "", timeoutMs: 10_000, intervalMs: 10, maxIntervalMs: 100, ...extra };
}

/** A loopback port that nothing listens on (taken from the OS, then released). */
async function unusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listen(server: net.Server, port = 0): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  cleanups.push(() => closeServer(server, sockets));
  return (server.address() as net.AddressInfo).port;
}

function closeServer(server: net.Server, sockets: Set<net.Socket>): Promise<void> {
  if (!server.listening) return Promise.resolve();
  for (const socket of sockets) socket.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** An HTTP server answering every request with `status(path, n)` (n counts requests from 1). */
async function httpServer(status: (path: string, n: number) => number): Promise<{ port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? "");
    res.statusCode = status(req.url ?? "", paths.length);
    res.end("body that the probe does not read");
  });
  return { port: await listen(server), paths };
}

/** grpc.health.v1.Health written by hand for grpc-js, (de)serialized with the generated schemas. */
const healthDefinition: grpc.ServiceDefinition = {
  check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: (message: HealthCheckRequest) => Buffer.from(toBinary(HealthCheckRequestSchema, message)),
    requestDeserialize: (bytes: Buffer) => fromBinary(HealthCheckRequestSchema, bytes),
    responseSerialize: (message: HealthCheckResponse) => Buffer.from(toBinary(HealthCheckResponseSchema, message)),
    responseDeserialize: (bytes: Buffer) => fromBinary(HealthCheckResponseSchema, bytes),
  },
};

/** Some other service, so a server without health still has something to serve. */
const echoDefinition: grpc.ServiceDefinition = {
  echo: { ...healthDefinition["check"]!, path: "/test.Echo/Echo" },
};

/** A grpc-js server; with `status` it serves health for "" (n counts Check calls from 1). */
async function grpcServer(
  status?: (n: number) => ServingStatus,
): Promise<{ port: number; checks: () => number; stop: () => void }> {
  const server = new grpc.Server();
  let checks = 0;
  if (status) {
    server.addService(healthDefinition, {
      check(call: grpc.ServerUnaryCall<HealthCheckRequest, HealthCheckResponse>, done: grpc.sendUnaryData<HealthCheckResponse>) {
        checks++;
        if (call.request.service !== "") {
          done({ code: grpc.status.NOT_FOUND, details: `unknown service ${call.request.service}` });
          return;
        }
        done(null, create(HealthCheckResponseSchema, { status: status(checks) }));
      },
    });
  }
  server.addService(echoDefinition, {
    echo(_call: unknown, done: grpc.sendUnaryData<HealthCheckResponse>) {
      done(null, create(HealthCheckResponseSchema, {}));
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${HOST}:0`, grpc.ServerCredentials.createInsecure(), (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  const stop = (): void => server.forceShutdown();
  cleanups.push(stop);
  return { port, checks: () => checks, stop };
}

/** Records onAttempt calls. */
function attemptLog(): { attempts: ReadinessAttempt[]; onAttempt: (a: ReadinessAttempt) => void } {
  const attempts: ReadinessAttempt[] = [];
  return { attempts, onAttempt: (a) => attempts.push(a) };
}

async function timeoutError(promise: Promise<void>): Promise<ReadinessTimeoutError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ReadinessTimeoutError, `expected ReadinessTimeoutError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the wait to time out");
}

const TIMEOUT_MESSAGE = /^not ready after \d+\.\ds \(\d+ attempts?\): /;

describe("tcp readiness", () => {
  it("becomes ready only once the port starts listening", async () => {
    const port = await unusedPort();
    const server = net.createServer((socket) => socket.destroy());
    let connections = 0;
    server.on("connection", () => connections++);
    const log = attemptLog();
    const waiting = waitUntilReady(probeFor({ host: HOST, port }, plan("tcp")), { ...plan("tcp"), ...log });
    // Listen only after the probe has seen the port closed at least once.
    while (log.attempts.length === 0) await new Promise((r) => setTimeout(r, 5));
    await listen(server, port);
    await waiting;
    assert.equal(log.attempts[0]?.ready, false);
    assert.match(log.attempts[0]?.detail ?? "", /ECONNREFUSED/);
    assert.equal(log.attempts.at(-1)?.ready, true);
    assert.ok(connections >= 1);
  });

  it("times out on a port with nothing behind it, naming the last failure", async () => {
    const port = await unusedPort();
    const err = await timeoutError(
      waitUntilReady(probeFor({ host: HOST, port }, plan("tcp")), { timeoutMs: 300, maxIntervalMs: 50 }),
    );
    assert.match(err.message, TIMEOUT_MESSAGE);
    assert.ok(err.message.endsWith(`connect ECONNREFUSED ${HOST}:${port}`), err.message);
    assert.ok(err.attempts > 1);
    assert.ok(err.waitedMs >= 300);
  });
});

describe("http readiness", () => {
  it("is ready on 200", async () => {
    const { port, paths } = await httpServer(() => 200);
    const log = attemptLog();
    await waitUntilReady(probeFor({ host: HOST, port }, plan("http")), { ...plan("http"), ...log });
    assert.equal(log.attempts.length, 1);
    assert.deepEqual(paths, ["/"]);
  });

  it("flips from 503 to ready when the server starts answering 200", async () => {
    const { port, paths } = await httpServer((_path, n) => (n <= 3 ? 503 : 200));
    const log = attemptLog();
    await waitUntilReady(probeFor({ host: HOST, port }, plan("http")), { ...plan("http"), ...log });
    assert.deepEqual(
      log.attempts.map((a) => a.detail ?? "ready"),
      ["GET / -> 503", "GET / -> 503", "GET / -> 503", "ready"],
    );
    assert.equal(paths.length, 4);
  });

  it("counts 404 as ready", async () => {
    const { port } = await httpServer(() => 404);
    const log = attemptLog();
    await waitUntilReady(probeFor({ host: HOST, port }, plan("http")), { ...plan("http"), ...log });
    assert.deepEqual(log.attempts.map((a) => a.ready), [true]);
  });

  it("GETs the configured path", async () => {
    const { port, paths } = await httpServer((path) => (path === "/healthz" ? 200 : 503));
    await waitUntilReady(probeFor({ host: HOST, port }, plan("http", { httpPath: "/healthz" })), plan("http"));
    assert.deepEqual(paths, ["/healthz"]);
  });

  it("times out with the last status in the message", async () => {
    const { port } = await httpServer(() => 503);
    const err = await timeoutError(
      waitUntilReady(probeFor({ host: HOST, port }, plan("http", { httpPath: "/health" })), {
        timeoutMs: 300,
        maxIntervalMs: 50,
      }),
    );
    assert.match(err.message, TIMEOUT_MESSAGE);
    assert.ok(err.message.endsWith(": GET /health -> 503"), err.message);
  });

  it("reports a refused connection as not ready", async () => {
    const port = await unusedPort();
    const result = await probeFor({ host: HOST, port }, plan("http"))(new AbortController().signal);
    assert.equal(result.ready, false);
    assert.match(result.detail ?? "", /^GET \/ -> connect ECONNREFUSED/);
  });

  it("makes one connection per attempt, so a server that serves one connection at a time answers", async () => {
    // Like Python's HTTPServer: the next connection is accepted only once the current
    // one has been answered and closed.
    let connections = 0;
    const server = net.createServer({ pauseOnConnect: true }, (socket) => {
      connections++;
      server.close(); // no other connection is taken while this one is served
      socket.resume();
      socket.once("data", () => socket.end("HTTP/1.0 200 OK\r\n\r\nok"));
    });
    const port = await listen(server);
    const result = await probeFor({ host: HOST, port }, plan("http"))(new AbortController().signal);
    assert.deepEqual(result, { ready: true });
    assert.equal(connections, 1);
  });

  it("counts a server that accepts and hangs up as not ready", async () => {
    const server = net.createServer((socket) => socket.destroy());
    const port = await listen(server);
    const result = await probeFor({ host: HOST, port }, plan("http"))(new AbortController().signal);
    assert.equal(result.ready, false);
    assert.match(result.detail ?? "", /^GET \/ -> (socket hang up|read ECONNRESET)/);
  });

  it("counts a server that never answers as not ready when the attempt times out", async () => {
    // Reads the request and never answers.
    const server = net.createServer((socket) => socket.resume());
    const port = await listen(server);
    const result = await probeFor({ host: HOST, port }, plan("http"))(new AbortController().signal);
    assert.equal(result.ready, false);
    assert.equal(result.detail, "GET / -> no answer within 1000ms");
  });
});

describe("grpc health readiness", () => {
  it("is ready when the server reports SERVING", async () => {
    const server = await grpcServer(() => ServingStatus.SERVING);
    const log = attemptLog();
    await waitUntilReady(probeFor({ host: HOST, port: server.port }, plan("grpc")), { ...plan("grpc"), ...log });
    assert.equal(log.attempts.length, 1);
    assert.equal(server.checks(), 1);
  });

  it("flips from NOT_SERVING to ready on SERVING", async () => {
    const server = await grpcServer((n) => (n <= 2 ? ServingStatus.NOT_SERVING : ServingStatus.SERVING));
    const log = attemptLog();
    await waitUntilReady(probeFor({ host: HOST, port: server.port }, plan("grpc")), { ...plan("grpc"), ...log });
    assert.deepEqual(
      log.attempts.map((a) => a.detail ?? "ready"),
      ["Health/Check -> NOT_SERVING", "Health/Check -> NOT_SERVING", "ready"],
    );
  });

  it("falls back to a TCP dial when the server has no health service", async () => {
    const server = await grpcServer();
    const probe = probeFor({ host: HOST, port: server.port }, plan("grpc"));
    const signal = new AbortController().signal;

    const first = await probe(signal);
    assert.equal(first.ready, true);
    assert.match(first.detail ?? "", /unimplemented/);
    await waitUntilReady(probe, plan("grpc"));

    // The probe remembers: once the server is gone it fails like a TCP dial, not like a gRPC call.
    server.stop();
    const gone = await probe(signal);
    assert.equal(gone.ready, false);
    assert.match(gone.detail ?? "", /^connect ECONNREFUSED/);
  });

  it("checks health over the connection it dialled: one connection per attempt", async () => {
    const server = await grpcServer(() => ServingStatus.SERVING);
    // A relay in front of the server counts the connections the probe makes.
    let connections = 0;
    const relay = net.createServer((socket) => {
      connections++;
      const upstream = net.connect({ host: HOST, port: server.port });
      socket.pipe(upstream).pipe(socket);
      const close = (): void => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on("error", close).on("close", close);
      upstream.on("error", close).on("close", close);
    });
    const port = await listen(relay);
    const result = await probeFor({ host: HOST, port }, plan("grpc"))(new AbortController().signal);
    assert.deepEqual(result, { ready: true });
    assert.equal(server.checks(), 1);
    assert.equal(connections, 1);
  });

  it("reports a refused connection as not ready", async () => {
    const port = await unusedPort();
    const result = await probeFor({ host: HOST, port }, plan("grpc"))(new AbortController().signal);
    assert.equal(result.ready, false);
    assert.match(result.detail ?? "", /^Health\/Check -> connect ECONNREFUSED/);
  });

  it("times out with the last serving status in the message", async () => {
    const server = await grpcServer(() => ServingStatus.NOT_SERVING);
    const err = await timeoutError(
      waitUntilReady(probeFor({ host: HOST, port: server.port }, plan("grpc")), { timeoutMs: 300, maxIntervalMs: 50 }),
    );
    assert.match(err.message, TIMEOUT_MESSAGE);
    assert.ok(err.message.endsWith(": Health/Check -> NOT_SERVING"), err.message);
  });

  it("names the health service it asked about when the server does not know it", async () => {
    const server = await grpcServer(() => ServingStatus.SERVING);
    const result = await probeFor({ host: HOST, port: server.port }, plan("grpc", { grpcService: "shop.Cart" }))(
      new AbortController().signal,
    );
    assert.equal(result.ready, false);
    assert.equal(result.detail, 'Health/Check("shop.Cart") -> NotFound: unknown service shop.Cart');
  });

  it("leaves no HTTP/2 session open after a probe", async () => {
    const server = await grpcServer(() => ServingStatus.SERVING);
    const probe = probeFor({ host: HOST, port: server.port }, plan("grpc"));
    const sockets = (): number => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;
    const before = sockets();
    await waitUntilReady(probe, plan("grpc"));
    await waitUntilReady(probe, plan("grpc"));
    // Closing a socket completes on a later turn of the event loop.
    for (let i = 0; i < 50 && sockets() > before; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(sockets() <= before, `${sockets()} sockets open, ${before} before the probes`);
  });
});

describe("waitUntilReady", () => {
  it("is ready at once for kind none", async () => {
    const log = attemptLog();
    await waitUntilReady(probeFor({ host: HOST, port: 1 }, plan("none")), { ...log });
    assert.equal(log.attempts.length, 1);
  });

  it("stops polling on abort, rejects with the signal's reason and leaves no timer behind", async () => {
    const port = await unusedPort();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const controller = new AbortController();
    const log = attemptLog();
    const waiting = waitUntilReady(probeFor({ host: HOST, port }, plan("grpc")), {
      timeoutMs: 30_000,
      signal: controller.signal,
      ...log,
    });
    while (log.attempts.length < 2) await new Promise((r) => setTimeout(r, 5));
    const reason = new Error("service exited with code 1 before ready");
    controller.abort(reason);
    await assert.rejects(waiting, (err) => err === reason);

    const attemptsAtAbort = log.attempts.length;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(log.attempts.length, attemptsAtAbort);
    assert.equal(timers(), before);
  });

  it("rejects at once when the signal is already aborted", async () => {
    const reason = new Error("already gone");
    let probes = 0;
    await assert.rejects(
      waitUntilReady(
        async () => {
          probes++;
          return { ready: true };
        },
        { signal: AbortSignal.abort(reason) },
      ),
      (err) => err === reason,
    );
    assert.equal(probes, 0);
  });

  it("times out even when a probe hangs until its signal aborts", async () => {
    const err = await timeoutError(
      waitUntilReady(
        (signal) =>
          new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
        { timeoutMs: 200 },
      ),
    );
    assert.equal(err.attempts, 1);
    assert.equal(err.message.startsWith("not ready after "), true);
    assert.equal(err.lastDetail, undefined);
  });
});

describe("poll schedule", () => {
  it("probes every 2 ms at first, then a twentieth of the wait's age, capped at 20 ms for 3 s and at 1 s after", () => {
    const at = (ages: number[]): number[] => ages.map((age) => nextProbeDelayMs(age));
    assert.deepEqual(at([0, 1, 40]), [2, 2, 2]);
    assert.deepEqual(at([100, 200, 400, 1_000, 2_999]), [5, 10, 20, 20, 20]);
    assert.deepEqual(at([3_000, 10_000, 20_000, 60_000]), [150, 500, 1_000, 1_000]);
  });

  it("keeps a spec's interval as the floor and its max_interval as the cap, young or old", () => {
    assert.equal(nextProbeDelayMs(0, pollSchedule({ intervalMs: 50 })), 50);
    assert.equal(nextProbeDelayMs(2_000, pollSchedule({ intervalMs: 50 })), 50);
    assert.equal(nextProbeDelayMs(10_000, pollSchedule({ intervalMs: 50 })), 500);
    assert.equal(nextProbeDelayMs(1_000, pollSchedule({ maxIntervalMs: 10 })), 10);
    assert.equal(nextProbeDelayMs(60_000, pollSchedule({ maxIntervalMs: 10 })), 10);
    // A cap below the floor is raised to it; nonsense falls back to the defaults.
    assert.deepEqual(pollSchedule({ intervalMs: 30, maxIntervalMs: 5 }), { intervalMs: 30, maxIntervalMs: 30, youngCapMs: 30, youngForMs: 3_000 });
    assert.deepEqual(pollSchedule({ intervalMs: -1, maxIntervalMs: Number.NaN }), DEFAULT_SCHEDULE);
  });

  it("probes in a wait's first seconds far more often than later, and backs off once old", async () => {
    const log = attemptLog();
    const never = async (): Promise<{ ready: boolean; detail: string }> => ({ ready: false, detail: "not yet" });
    await timeoutError(waitUntilReady(never, { intervalMs: 1, youngCapMs: 5, youngForMs: 150, maxIntervalMs: 1_000, timeoutMs: 600, ...log }));
    const young = log.attempts.filter((a) => a.elapsedMs < 150);
    const old = log.attempts.filter((a) => a.elapsedMs >= 150);
    assert.ok(young.length >= 10, `only ${young.length} attempts while young`);
    // After youth: a twentieth of the age, 7.5 to 30 ms, about 25 attempts in the 450 ms left.
    assert.ok(old.length < young.length * 3, `${old.length} attempts after youth, ${young.length} before`);
    const gaps = old.slice(1).map((a, i) => a.elapsedMs - (old[i]?.elapsedMs ?? 0));
    assert.ok(Math.max(...gaps) > 7, `no wait after youth grew beyond the young cap: ${gaps.join(", ")}`);
  });
});

describe("nudges", () => {
  it("a nudge ends the sleep between probes, no sooner than its floor", async () => {
    const controller = new AbortController();
    const pause = new NudgeablePause(controller.signal);
    let woke = false;
    const sleeping = pause.for(60_000, 300).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(woke, false);
    pause.nudge();
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, false, "woke before the floor");
    await Promise.race([sleeping, new Promise((_, reject) => setTimeout(() => reject(new Error("the nudge did not wake the sleep")), 10_000).unref())]);
  });

  it("a nudge during a probe shortens the next sleep", async () => {
    const pause = new NudgeablePause(new AbortController().signal);
    pause.nudge();
    await Promise.race([pause.for(60_000, 0), new Promise((_, reject) => setTimeout(() => reject(new Error("the nudge was lost")), 10_000).unref())]);
    // Used up: the sleep after that one is full length again.
    let woke = false;
    void pause.for(30, 30).then(() => (woke = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, false);
  });

  it("an aborted sleep rejects with the reason and leaves no timer behind", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout" || r === "Immediate").length;
    const before = timers();
    const controller = new AbortController();
    const pause = new NudgeablePause(controller.signal);
    const sleeping = pause.for(60_000, 60_000);
    const reason = new Error("destroyed");
    controller.abort(reason);
    await assert.rejects(sleeping, (err) => err === reason);
    pause.nudge();
    assert.equal(timers(), before);
  });

  it("waitUntilReady listens for nudges while it waits, and unsubscribes when it ends", async () => {
    let listeners = 0;
    let nudge: () => void = () => {};
    let ready = false;
    const probes: boolean[] = [];
    const waiting = waitUntilReady(
      async () => {
        probes.push(ready);
        return { ready };
      },
      {
        intervalMs: 1,
        youngForMs: 0,
        maxIntervalMs: 50_000,
        timeoutMs: 120_000,
        nudges: (listener) => {
          listeners++;
          nudge = listener;
          return () => listeners--;
        },
      },
    );
    while (probes.length < 1) await new Promise((r) => setImmediate(r));
    ready = true;
    nudge();
    await waiting;
    assert.ok(probes.length >= 2 && probes.at(-1) === true);
    assert.equal(listeners, 0);
  });
});

describe("nudged probes", () => {
  it("a nudge after a scheduled probe probes at once; nudged probes keep the interval between them", async () => {
    const controller = new AbortController();
    let nudge: () => void = () => {};
    let probes = 0;
    const waiting = waitUntilReady(
      async () => {
        probes++;
        return { ready: false };
      },
      // An interval no test waits out: any probe after the first comes from a nudge.
      { intervalMs: 60_000, timeoutMs: 120_000, signal: controller.signal, nudges: (listener) => ((nudge = listener), () => {}) },
    );
    const settled = waiting.catch(() => {});
    const until = async (count: number): Promise<void> => {
      const deadline = Date.now() + 10_000;
      while (probes < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
    };
    await until(1);
    nudge();
    await until(2);
    assert.equal(probes, 2, "the first nudge did not bring on a probe");
    nudge();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(probes, 2, "a second nudge probed within the interval of the first nudged probe");
    controller.abort(new Error("done"));
    await settled;
  });
});
