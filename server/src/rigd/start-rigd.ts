/**
 * Runs one rigd in this process: prepares RIG_DIR, builds the backend, serves the API on
 * one loopback port, publishes the addr file once serving, exits when idle, and shuts
 * everything down in order. main.ts wraps it with flags and signals; tests and benches
 * call it directly.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { createApiHandler } from "../api/api-handler.js";
import { withMetrics } from "../metrics/metrics-route.js";
import { guardRequests } from "../auth/request-guard.js";
import { bearerToken, createToken, removeTokenFileIfOurs, tokenFileFor, tokensEqual, writeTokenFile } from "../auth/rigd-token.js";
import { CallTracker } from "../api/call-tracker.js";
import { listenCleartext } from "../api/cleartext-server.js";
import type { EnvironmentBackend } from "../contract/environment-backend.js";
import type { SuiteHook } from "../contract/suite-hooks.js";
import { HealthCheckResponse_ServingStatus as ServingStatus } from "../gen/grpc/health/v1/health_pb.js";
import { removeAddrFileIfOurs, writeAddrFile } from "./addr-file.js";
import { formatDuration } from "../contract/duration-text.js";
import { IdleMonitor } from "./idle-monitor.js";
import { formatHostPort, isUnixAddress, parseListenAddress, UNIX_PREFIX } from "./listen-address.js";
import { LockService } from "../gen/rig/v1/lock_service_pb.js";
import { createLockServer } from "../locks/lock-service.js";
import { DEFAULT_LIMITS, type Limits } from "../contract/limits.js";
import type { ResourceLocks } from "../contract/resource-locks.js";
import { createFileLogger } from "./logger.js";
import { DEFAULT_LOG_RETENTION, startLogPruning, type LogRetention } from "./log-retention.js";
import { defaultAddrFile, prepareRigDir, rigdVersion } from "./rig-dir.js";
import { withUi } from "../ui/ui-routes.js";
import { composeSuites, type ComposedSuites } from "./compose-suites.js";
import { observeCreates } from "./observed-backend.js";

/** What a backend is built from (matches the Orchestrator constructor). */
export interface BackendContext {
  readonly rigDir: string;
  readonly logger: Logger;
  readonly orphanGraceMs: number;
  readonly limits: Limits;
  /** The lock table of this rigd's LockService, for services whose spec requires resources. */
  readonly locks: ResourceLocks;
  /** How long a finished environment stays known (undefined: the backend's default). */
  readonly retentionMs?: number;
}

/** How to run rigd. */
export interface RigdOptions {
  /** RIG_DIR (absolute); created with cache/, logs/, tmp/. */
  readonly rigDir: string;
  /** Builds the environment backend (the orchestrator in production). */
  readonly createBackend: (context: BackendContext) => EnvironmentBackend;
  /** Loopback `HOST:PORT` or `unix:/path/rigd.sock`; default `127.0.0.1:0` (a free port). */
  readonly listen?: string;
  /** Exit after this long with nothing to do; 0 disables. Default 5 minutes. */
  readonly idleMs?: number;
  /** Where to publish the address; default `RIG_DIR/rigd-<version>.addr`. */
  readonly addrFile?: string;
  /** How long an environment nobody watches survives. Default 30 s. */
  readonly orphanGraceMs?: number;
  /** What this rigd allows (default DEFAULT_LIMITS). */
  readonly limits?: Limits;
  /** How long a finished environment stays known to the API (default: the backend's, 10 min). */
  readonly retentionMs?: number;
  /** What to keep of RIG_DIR/logs (default: a week, 1 GiB). */
  readonly logRetention?: LogRetention;
  /** Log here instead of RIG_DIR/rigd-<version>.log. */
  readonly logger?: Logger;
  /** The suites file (default RIG_DIR/rig.suites.json when it exists). */
  readonly suitesFile?: string;
  /** Suite hooks (plugins) besides the metrics and the suites file's webhooks. */
  readonly suiteHooks?: readonly SuiteHook[];
}

/** Why a rigd stopped. */
export type ShutdownReason = "idle" | "close" | "signal" | "fatal";

/** A serving rigd. */
export interface RunningRigd {
  /** `127.0.0.1:PORT` or `unix:/path`, as written to the addr file. */
  readonly address: string;
  readonly addrFile: string;
  /** The secret every RPC but health Check must carry (`authorization: Bearer <token>`). */
  readonly token: string;
  /** Where the token is kept (`0600`, beside the addr file). */
  readonly tokenFile: string;
  readonly rigDir: string;
  readonly logger: Logger;
  /** Settles once rigd has fully stopped, with the reason it stopped. */
  readonly closed: Promise<ShutdownReason>;
  /** Graceful shutdown: destroys every environment, stops serving, removes the addr file. */
  close(reason?: ShutdownReason): Promise<void>;
}

/** Default idle window (SPEC §10). */
export const DEFAULT_IDLE_MS = 5 * 60_000;
/** Default orphan grace (SPEC §4). */
export const DEFAULT_ORPHAN_GRACE_MS = 30_000;
/** How long running calls get to finish once the backend is shut down. */
const CLOSE_GRACE_MS = 2000;

/** Starts rigd and resolves once it serves and its addr file is written. */
export async function startRigd(options: RigdOptions): Promise<RunningRigd> {
  const listen = parseListenAddress(options.listen ?? "127.0.0.1:0");
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const orphanGraceMs = options.orphanGraceMs ?? DEFAULT_ORPHAN_GRACE_MS;
  const rigDir = options.rigDir;
  const addrFile = options.addrFile ?? defaultAddrFile(rigDir);
  const tokenFile = tokenFileFor(addrFile);
  const token = createToken();
  await prepareRigDir(rigDir);

  const fileLogger = options.logger ? undefined : createFileLogger(rigDir, rigdVersion());
  const logger = options.logger ?? fileLogger!.logger;
  const log = logger.child({ component: "rigd" });

  const limits = options.limits ?? DEFAULT_LIMITS;
  const locks = createLockServer(rigDir, logger, { logBytes: limits.lockLogBytes });
  const orchestrator = options.createBackend({ rigDir, logger, orphanGraceMs, limits, locks: locks.environments, retentionMs: options.retentionMs });
  let suites: ComposedSuites;
  let served: string | undefined;
  try {
    // The suites' tests talk to this rigd (RIG_SERVER, RIG_TOKEN), once it serves.
    const rigdEnv = (): Record<string, string> => (served ? { RIG_SERVER: served, RIG_TOKEN: token } : {});
    suites = await composeSuites({ rigDir, logger, suitesFile: options.suitesFile, backend: orchestrator, rigdEnv, hooks: options.suiteHooks ?? [] });
  } catch (err) {
    await orchestrator.shutdown().catch(() => {});
    locks.close();
    fileLogger?.flush();
    throw err;
  }
  const backend = observeCreates(orchestrator, suites.environmentCreated);
  const api = createApiHandler(backend, logger, {
    readMaxBytes: limits.requestBytes,
    auth: { token, tokenFile },
    services: [{ desc: LockService, register: (router) => router.service(LockService, locks.impl) }, suites.service],
  });
  const calls = new CallTracker();
  let bound: { host: string; port: number } | undefined;
  // The Host/Origin gate sits outside the call tracker: refused requests are not activity.
  // The dashboard (`/ui/`) shares the port, the gate and the token with the API.
  const authorized = (header: string | undefined): boolean => {
    const presented = bearerToken(header);
    return presented !== undefined && tokensEqual(presented, token);
  };
  // `/metrics` shares them too.
  const withDashboard = withMetrics(withUi(api.handler, { logsDir: join(rigDir, "logs"), authorized }), { scrape: () => suites.metrics.scrape(), authorized });
  const handler = guardRequests(calls.wrap(withDashboard), () =>
    isUnixAddress(listen) ? { kind: "unix" } : { kind: "tcp", host: bound!.host, port: bound!.port },
  );
  let server;
  try {
    server = isUnixAddress(listen)
      ? await listenCleartext(handler, { path: listen.path })
      : await listenCleartext(handler, listen.host, listen.port);
    bound = { host: server.host, port: server.port };
  } catch (err) {
    await suites.close().catch(() => {});
    await backend.shutdown().catch(() => {});
    fileLogger?.flush();
    throw err;
  }
  const address = server.path !== undefined ? `${UNIX_PREFIX}${server.path}` : formatHostPort(server.host, server.port);
  const serving = server;
  served = address;
  const pruning = startLogPruning({
    logsDir: join(rigDir, "logs"),
    retention: options.logRetention ?? DEFAULT_LOG_RETENTION,
    isLive: (id) => backend.list().some((env) => env.id === id),
    logger: log,
  });

  let resolveClosed!: (reason: ShutdownReason) => void;
  const closed = new Promise<ShutdownReason>((resolve) => (resolveClosed = resolve));
  let shutdown: Promise<void> | undefined;
  const idle =
    idleMs > 0
      ? new IdleMonitor(
          idleMs,
          { busy: () => backend.liveCount > 0 || calls.inFlight > 0 || locks.busy() || suites.busy(), lastActivity: () => calls.lastActivity },
          () => void close("idle"),
        )
      : undefined;

  function close(reason: ShutdownReason = "close"): Promise<void> {
    shutdown ??= (async () => {
      log.info({ reason, address }, "shutting down");
      idle?.stop();
      pruning.stop();
      // Unpublish first so no SDK picks up a rigd that is going away; refuse new calls
      // (clients see UNAVAILABLE and start a fresh rigd) but let running streams finish.
      api.health.setAll(ServingStatus.NOT_SERVING);
      calls.drain();
      await removeAddrFileIfOurs(addrFile, address).catch((err: unknown) =>
        log.warn({ err, addrFile }, "could not remove addr file"),
      );
      await removeTokenFileIfOurs(tokenFile, token).catch((err: unknown) =>
        log.warn({ err, tokenFile }, "could not remove token file"),
      );
      // Runs in flight stop first (interrupted): their trees die, their environments go.
      await suites.close().catch((err: unknown) => log.error({ err }, "suites shutdown failed"));
      try {
        await backend.shutdown();
      } catch (err) {
        log.error({ err }, "backend shutdown failed");
      }
      await serving.close(CLOSE_GRACE_MS);
      locks.close();
      log.info({ reason }, "stopped");
      fileLogger?.flush();
      resolveClosed(reason);
    })();
    return shutdown;
  }

  try {
    // The token first: a client that sees the addr file can read the token at once.
    await writeTokenFile(tokenFile, token);
    await writeAddrFile(addrFile, address);
  } catch (err) {
    await close("fatal");
    throw err;
  }
  log.info(
    {
      address,
      addrFile,
      tokenFile,
      rigDir,
      version: rigdVersion(),
      idle: idleMs > 0 ? formatDuration(idleMs) : "off",
      orphanGraceMs,
      // Which node, and whether it got rigd's flags (rigd/node-flags.ts).
      node: process.version,
      execArgv: process.execArgv,
    },
    "serving",
  );

  return { address, addrFile, token, tokenFile, rigDir, logger, closed, close };
}
