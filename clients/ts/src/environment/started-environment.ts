/**
 * The handle `rig.up` returns. Lifecycle lives in the types, testcontainers-style: a
 * `StartedEnvironment` has endpoints, events, notes and `down()`; `down()` returns a
 * `StoppedEnvironment` that only describes what happened and where the logs are.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Event, EnvironmentUp } from "../gen/rig/v1/event_pb.js";
import { downDetails, downReasonName, fromRpcError } from "../errors.js";
import type { Endpoint } from "./endpoint.js";
import { kafkaEndpoint, postgresUrl, redisUrl, toEndpoints, type KafkaEndpoint } from "./endpoint.js";
import type { EnvironmentSession } from "./environment-session.js";
import { ServiceOperations, type ExecOptions, type ExecResult, type LogLine } from "./service-operations.js";
import type { PreservePolicy } from "./preserve-policy.js";
import { failureNote } from "../test-runner/failure-note.js";

/** Options of `events()`. */
/** How long down() lets a reading events() iteration finish before ending it. */
const READING_GRACE_MS = 2_000;

export interface EventsOptions {
  /** Include service.log events (service output). Default false. */
  readonly includeLogs?: boolean;
  /** Leave out traffic (request.completed, grpc.call.completed, connection.*, kafka.*). Default false. */
  readonly excludeTraffic?: boolean;
  /** Start after this seq; 0 (default) replays from the first event. */
  readonly after?: bigint | number;
  /** Stops the iteration. */
  readonly signal?: AbortSignal;
}

/** Options of `down()`. */
export interface DownOptions {
  /** The test failed: recorded in the log; keeps dirs with RIG_PRESERVE_ON_FAILURE. */
  readonly testFailed?: boolean;
  /** Keep temp dirs and the env dir. Default: RIG_PRESERVE, or on failure RIG_PRESERVE_ON_FAILURE. */
  readonly preserve?: boolean;
  /** Free-form reason recorded in the log. */
  readonly reason?: string;
}

/** A running environment. `S` is the union of its service names. */
export interface StartedEnvironment<S extends string = string> extends AsyncDisposable {
  /** Instance id, unique in this rigd. */
  readonly id: string;
  readonly name: string;
  /** Scratch dir shared by the environment's services. */
  readonly envDir: string;
  /** Declared services. */
  readonly services: readonly S[];
  /** Address (`127.0.0.1:PORT`) of the rigd running the environment, e.g. for grpcurl. */
  readonly server: string;
  /** An endpoint of a service (default ingress "default", or the only one it has). */
  endpoint(service: S, ingress?: string): Endpoint;
  /** `endpoint(service, ingress).url`. */
  url(service: S, ingress?: string): string;
  /** `postgres://user:password@host:port/database` of a postgres service. */
  postgresUrl(service: S): string;
  /** `redis://host:port/db` of a redis service. */
  redisUrl(service: S): string;
  /** Brokers, topic prefix and schema registry of a kafka service; `name("orders")` prefixes a topic or group. */
  kafka(service: S): KafkaEndpoint;
  /**
   * The environment's events from the first (or `after`), live until environment.down.
   * `down()` ends every iteration; an iteration abandoned mid-way never keeps the
   * process alive (only a pending `next()` does).
   */
  events(options?: EventsOptions): AsyncIterable<Event>;
  /** Adds a test.note event to the log (e.g. what an assertion found). */
  note(message: string, level?: "info" | "warn" | "error"): Promise<void>;
  /**
   * What `rig explain` says of this environment, as plain text: outcome, the failing
   * service with its output tail, the test's notes, traffic errors, stall reports and the
   * time each service spent in each phase. Works before and after `down()`.
   */
  explain(): Promise<string>;
  /**
   * Runs `fn` (assertions, typically); when it throws, the error's message and the
   * `file:line` of the failing assertion go to the log as an error test.note, between
   * the services' output, and the error is rethrown. Resolves with what `fn` returns.
   */
  check<T>(fn: () => T | Promise<T>): Promise<Awaited<T>>;
  /** Runs a command in a container service: its exit code, stdout and stderr (any exit code resolves). */
  exec(service: S, command: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Copies a host file or directory (a path), or `{ content }`, to `containerPath` in a container service. */
  copyTo(service: S, source: string | { readonly content: string | Uint8Array; readonly mode?: number }, containerPath: string): Promise<void>;
  /** Copies a file or directory out of a container service to `hostPath`. */
  copyFrom(service: S, containerPath: string, hostPath: string): Promise<void>;
  /** A service's output so far (the last `tail` lines; 0: all), across restarts. */
  logs(service: S, options?: { readonly tail?: number }): Promise<LogLine[]>;
  /** Stops one service (its dependents keep running); resolves with its exit code. */
  stop(service: S): Promise<number>;
  /** Starts a service again (stopping it first if it runs) and waits until it is ready; endpoints stay. */
  restart(service: S): Promise<Readonly<Record<string, Endpoint>>>;
  /** Tears the environment down; safe to call more than once. */
  down(options?: DownOptions): Promise<StoppedEnvironment>;
}

/** A torn-down environment: what happened and where its record is. */
export interface StoppedEnvironment {
  readonly id: string;
  readonly name: string;
  readonly envDir: string;
  /** Temp dir of each service (deleted unless preserved). */
  readonly tempDirs: Readonly<Record<string, string>>;
  /** Human-readable log of the run. */
  readonly logPath: string;
  /** Every event as JSON lines, service output included. */
  readonly eventLogPath: string;
  readonly preserved: boolean;
  readonly testFailed: boolean;
  /** Why it ended: destroyed, failed, ttl_expired, orphaned, shutdown. */
  readonly reason: string;
  /** rigd's summary; names the failed service, its error and stderr tail on failure. */
  readonly summary: string;
  readonly failedService?: string;
  readonly error?: string;
  /** When the test failed: rigd's diagnosis of the run (what `rig explain` prints). */
  readonly diagnosis?: string;
}

/** The started-environment handle over a session. */
export class RunningEnvironment<S extends string> implements StartedEnvironment<S> {
  readonly #session: EnvironmentSession;
  readonly #endpoints: ReadonlyMap<string, Readonly<Record<string, Endpoint>>>;
  readonly #preserve: PreservePolicy;
  /**
   * One per open events() iteration: its abort, whether its consumer is waiting in
   * next() right now, and when it ends. down() lets the reading ones finish the stream
   * (it ends with environment.down) and aborts the rest.
   */
  readonly #iterations = new Map<AbortController, { reading: boolean; readonly ended: Promise<void> }>();
  #stopped: Promise<StoppedEnvironment> | undefined;
  readonly #operations: ServiceOperations;

  constructor(
    session: EnvironmentSession,
    up: EnvironmentUp,
    readonly envDir: string,
    readonly services: readonly S[],
    preserve: PreservePolicy,
  ) {
    this.#session = session;
    this.#preserve = preserve;
    this.#operations = new ServiceOperations(session.api.environments, session.id);
    this.#endpoints = new Map(Object.entries(up.services).map(([name, s]) => [name, toEndpoints(s.ingresses)]));
  }

  get id(): string {
    return this.#session.id;
  }

  get name(): string {
    return this.#session.name;
  }

  get server(): string {
    return this.#session.api.address;
  }

  endpoint(service: S, ingress?: string): Endpoint {
    const ingresses = this.#endpoints.get(service);
    if (!ingresses) {
      const known = [...this.#endpoints.keys()];
      throw new Error(
        `rig: no endpoints for service "${service}" (services with endpoints: ${known.length ? known.join(", ") : "none"})`,
      );
    }
    const names = Object.keys(ingresses);
    const name = ingress ?? (ingresses.default ? "default" : names.length === 1 ? names[0] : undefined);
    const endpoint = name === undefined ? undefined : ingresses[name];
    if (!endpoint) {
      throw new Error(
        `rig: service "${service}" has ${ingress ? `no ingress "${ingress}"` : "several ingresses and none named default"}; it has ${names.join(", ") || "none"}`,
      );
    }
    return endpoint;
  }

  url(service: S, ingress?: string): string {
    return this.endpoint(service, ingress).url;
  }

  postgresUrl(service: S): string {
    return postgresUrl(this.endpoint(service));
  }

  redisUrl(service: S): string {
    return redisUrl(this.endpoint(service));
  }

  kafka(service: S): KafkaEndpoint {
    return kafkaEndpoint(this.endpoint(service));
  }

  async *events(options: EventsOptions = {}): AsyncGenerator<Event, void, undefined> {
    const abort = new AbortController();
    const signal = options.signal ? AbortSignal.any([abort.signal, options.signal]) : abort.signal;
    let end!: () => void;
    const state = { reading: false, ended: new Promise<void>((resolve) => (end = resolve)) };
    this.#iterations.set(abort, state);
    // On the unref'd connection: an iteration the test abandoned (suspended at a yield,
    // or never returned) must not keep the process alive. While the consumer waits in
    // next(), a ref'd timer does, as any pending I/O would.
    const stream = this.#session.api.background.watchEvents(
      {
        environmentId: this.id,
        afterSeq: BigInt(options.after ?? 0),
        includeLogs: options.includeLogs ?? false,
        excludeTraffic: options.excludeTraffic ?? false,
      },
      { signal },
    );
    const responses = stream[Symbol.asyncIterator]();
    try {
      for (;;) {
        const waiting = setInterval(() => {}, 2 ** 31 - 1);
        let next: IteratorResult<{ event?: Event }>;
        state.reading = true;
        try {
          next = await responses.next();
        } finally {
          state.reading = false;
          clearInterval(waiting);
        }
        if (next.done) return;
        if (next.value.event) yield next.value.event;
      }
    } catch (err) {
      if (!signal.aborted) throw fromRpcError(err, "WatchEvents");
    } finally {
      this.#iterations.delete(abort);
      abort.abort();
      end();
    }
  }

  exec(service: S, command: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return this.#operations.exec(service, command, options);
  }

  copyTo(service: S, source: string | { readonly content: string | Uint8Array; readonly mode?: number }, containerPath: string): Promise<void> {
    return this.#operations.copyTo(service, source, containerPath);
  }

  copyFrom(service: S, containerPath: string, hostPath: string): Promise<void> {
    return this.#operations.copyFrom(service, containerPath, hostPath);
  }

  logs(service: S, options: { readonly tail?: number } = {}): Promise<LogLine[]> {
    return this.#operations.logs(service, options.tail ?? 0);
  }

  stop(service: S): Promise<number> {
    return this.#operations.stop(service);
  }

  restart(service: S): Promise<Readonly<Record<string, Endpoint>>> {
    return this.#operations.restart(service);
  }

  async note(message: string, level: "info" | "warn" | "error" = "info"): Promise<void> {
    try {
      await this.#session.api.environments.postEvent({
        environmentId: this.id,
        event: { case: "testNote", value: { message, level } },
      });
    } catch (err) {
      throw fromRpcError(err, "PostEvent");
    }
  }

  async explain(): Promise<string> {
    try {
      return (await this.#session.api.environments.explainEnvironment({ environmentId: this.id })).text;
    } catch (err) {
      throw fromRpcError(err, "ExplainEnvironment");
    }
  }

  async check<T>(fn: () => T | Promise<T>): Promise<Awaited<T>> {
    try {
      return await fn();
    } catch (err) {
      await this.note(failureNote(err).message, "error").catch(() => {});
      throw err;
    }
  }

  down(options: DownOptions = {}): Promise<StoppedEnvironment> {
    this.#stopped ??= this.#down(options);
    return this.#stopped;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.down();
  }

  async #down(options: DownOptions): Promise<StoppedEnvironment> {
    const testFailed = options.testFailed ?? false;
    try {
      const response = await this.#session.destroy({
        testFailed,
        preserve: options.preserve ?? this.#preserve(testFailed),
        reason: options.reason ?? (testFailed ? "test failed" : "test finished"),
      });
      const down = response?.down ?? this.#session.down;
      // A failed test explains itself in its output (rig.up prints this as a diagnostic).
      const diagnosis = testFailed ? await this.#session.explain() : undefined;
      const details = downDetails(this.id, this.name, down, response?.logPath);
      return Object.freeze({
        id: this.id,
        name: this.name,
        envDir: response?.envDir || this.envDir,
        tempDirs: Object.freeze({ ...response?.tempDirs }),
        logPath: response?.logPath ?? "",
        eventLogPath: response?.eventLogPath ?? "",
        preserved: response?.preserved ?? false,
        testFailed: down?.testFailed ?? testFailed,
        reason: down ? downReasonName(down.reason) : "destroyed",
        summary: details.summary,
        failedService: details.failedService,
        error: details.serviceError,
        diagnosis,
      });
    } finally {
      await this.#session.close();
      // An iteration its consumer is reading gets the rest of the stream, which ends with
      // environment.down (bounded, should the stream stall); the others are ended now.
      const reading = [...this.#iterations.values()].filter((s) => s.reading).map((s) => s.ended);
      if (reading.length > 0) await Promise.race([Promise.all(reading), sleep(READING_GRACE_MS, undefined, { ref: false })]);
      for (const iteration of this.#iterations.keys()) iteration.abort();
      this.#iterations.clear();
    }
  }
}
