/**
 * The suites of one rigd: the registered suites (the suites file's, and the API's kept
 * in history), their cron schedules, the runs in flight (cancel, watch, provoke series),
 * and the environments each run created (linked by the labels the SDKs set). History
 * outlives rigd; a run rigd stopped during is recorded as interrupted.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Cron } from "croner";
import type { Logger } from "pino";
import type { SuiteHook } from "../contract/suite-hooks.js";
import {
  RunSchema,
  RunStatus,
  RunTrigger,
  WatchRunResponseSchema,
  type FlakyTest,
  type Run,
  type StartRunRequest,
  type Suite,
  type WatchRunResponse,
} from "../gen/rig/v1/suite_service_pb.js";
import { flakyTests } from "./flaky-report.js";
import { HookCaller } from "./hook-caller.js";
import { RunHistory, type HistoryLocation } from "./run-history.js";
import { RunProgress } from "./run-progress.js";
import { defineSuite, suiteMessage, type SuiteDefinition } from "./suite-definition.js";
import type { AttemptHost } from "./suite-process.js";
import { executeRun } from "./suite-run.js";
import type { SuitesConfig } from "./suites-file.js";

/** Labels the SDKs put on an environment created inside a suite run. */
export const SUITE_LABELS = { run: "rig.suite.run", test: "rig.suite.test" } as const;

/** A request names something that does not exist, or is in the wrong state. */
export class SuiteRequestError extends Error {
  constructor(
    message: string,
    readonly kind: "not-found" | "invalid" | "state",
  ) {
    super(message);
    this.name = "SuiteRequestError";
  }
}

/** What the suite host is built from. */
export interface SuiteHostOptions {
  readonly rigDir: string;
  readonly config: SuitesConfig;
  readonly hooks: readonly SuiteHook[];
  readonly attempts: AttemptHost;
  /** RIG_SERVER and RIG_TOKEN of this rigd for the suites' commands (empty until it serves). */
  readonly rigdEnv: () => Readonly<Record<string, string>>;
  /** Destroys an environment (rigd's backend); one already gone is fine. */
  readonly destroyEnvironment: (id: string) => Promise<void>;
  readonly logger: Logger;
  /** Whether a pid of this host is alive (runs of a dead rigd are marked interrupted). */
  readonly pidAlive: (pid: number) => boolean;
}

/** A run begun: its id, and its end. */
interface StartedRun {
  readonly id: string;
  readonly done: Promise<Run>;
}

interface ActiveRun {
  readonly suite: string;
  readonly trigger: RunTrigger;
  readonly controller: AbortController;
  readonly progress: RunProgress;
  readonly done: Promise<Run>;
}

export class SuiteHost {
  readonly #suites = new Map<string, SuiteDefinition>();
  readonly #schedules = new Map<string, Cron>();
  readonly #active = new Map<string, ActiveRun>();
  readonly #environments = new Map<string, Set<string>>();
  /** Environment links being written (a run's end waits for its own). */
  readonly #linking = new Set<Promise<void>>();
  readonly #hooks: HookCaller;
  readonly #log: Logger;
  #closing = false;
  /** The run history, once opened (or being opened). */
  #history: Promise<RunHistory> | undefined;

  private constructor(
    private readonly options: SuiteHostOptions,
    private readonly location: HistoryLocation,
    private readonly reportDir: string,
  ) {
    this.#log = options.logger.child({ component: "suites" });
    this.#hooks = new HookCaller(options.hooks, this.#log);
  }

  /**
   * Opens the history (RIG_DIR/suites/history.sqlite, or the suites file's Postgres URL),
   * marks the runs a dead rigd left as interrupted, applies retention, registers the suites
   * (the API's from history, then the file's, which win) and starts their schedules.
   *
   * A SQLite history that does not exist yet holds nothing to mark, prune or register: it
   * is created at its first use, not at rigd's start (a fresh RIG_DIR answers sooner).
   */
  static async open(options: SuiteHostOptions): Promise<SuiteHost> {
    const dir = join(options.rigDir, "suites");
    mkdirSync(join(dir, "reports"), { recursive: true, mode: 0o700 });
    const location: HistoryLocation = options.config.postgresUrl ? { postgres: options.config.postgresUrl } : { sqlite: join(dir, "history.sqlite") };
    const host = new SuiteHost(options, location, join(dir, "reports"));
    let where = "sqlite" in location ? `${location.sqlite} (created at its first use)` : "";
    if (!("sqlite" in location) || existsSync(location.sqlite)) {
      const history = await host.#open();
      where = history.where;
      const interrupted = await history.markInterrupted(Date.now(), options.pidAlive);
      if (interrupted.length) host.#log.warn({ runs: interrupted }, "runs a stopped rigd left running are marked interrupted");
      await host.#prune();
      for (const def of await history.savedSuites()) host.#add(def);
    }
    for (const def of options.config.suites) host.#add(def);
    host.#log.info({ suites: host.#suites.size, history: where }, "suites ready");
    return host;
  }

  /** The run history, opened (and created) at its first use; a failed open is tried again next time. */
  #open(): Promise<RunHistory> {
    this.#history ??= RunHistory.open(this.location).catch((err: unknown) => {
      this.#history = undefined;
      throw err;
    });
    return this.#history;
  }

  #add(def: SuiteDefinition): void {
    this.#suites.set(def.name, def);
    this.#schedules.get(def.name)?.stop();
    this.#schedules.delete(def.name);
    if (!def.schedule) return;
    const job = new Cron(def.schedule, { catch: (err: unknown) => this.#log.error({ err, suite: def.name }, "scheduled run failed to start") }, () =>
      this.#scheduledTick(def.name),
    );
    this.#schedules.set(def.name, job);
  }

  #scheduledTick(name: string): void {
    if (this.#closing) return;
    if ([...this.#active.values()].some((r) => r.suite === name && r.trigger === RunTrigger.SCHEDULE)) {
      this.#log.info({ suite: name }, "scheduled run skipped: the previous one still runs");
      return;
    }
    this.#begin(this.#suite(name), { trigger: RunTrigger.SCHEDULE, filter: "", idempotencyKey: "", provokeOf: "" }).catch((err: unknown) =>
      this.#log.error({ err, suite: name }, "scheduled run failed to start"),
    );
  }

  /** Registers (or replaces) a suite from the API; kept in history for later rigds. */
  async register(suite: Suite): Promise<Suite> {
    const def = defineSuite(suite, "api", process.cwd(), "suite");
    if (this.#suites.get(def.name)?.source === "config") {
      throw new SuiteRequestError(`suite "${def.name}" comes from ${this.options.config.file}; change it there`, "state");
    }
    await (await this.#open()).saveSuite(def);
    this.#add(def);
    return this.#message(def);
  }

  /** Every suite, by name. */
  list(): Suite[] {
    return [...this.#suites.values()].sort((a, b) => a.name.localeCompare(b.name)).map((def) => this.#message(def));
  }

  #message(def: SuiteDefinition): Suite {
    return suiteMessage(def, this.#schedules.get(def.name)?.nextRun()?.getTime());
  }

  #suite(name: string): SuiteDefinition {
    const def = this.#suites.get(name);
    if (!def) {
      const known = [...this.#suites.keys()].sort().join(", ") || "none";
      throw new SuiteRequestError(`no suite named "${name}" (registered: ${known})`, "not-found");
    }
    return def;
  }

  /** Starts a run (or a provoke series); a known idempotency key returns its run. */
  async start(
    request: Pick<StartRunRequest, "suite" | "filter" | "idempotencyKey" | "provokeRuns" | "stopOnFailure">,
  ): Promise<{ run: Run; existing: boolean }> {
    if (this.#closing) throw new SuiteRequestError("rigd is shutting down", "state");
    const def = this.#suite(request.suite);
    const provoke = request.provokeRuns > 1;
    const first = await this.#begin(def, {
      trigger: provoke ? RunTrigger.PROVOKE : RunTrigger.MANUAL,
      filter: request.filter,
      idempotencyKey: request.idempotencyKey,
      provokeOf: "",
    });
    if (first === undefined) {
      // The key started a run already (here, or on another rigd sharing the history).
      const existing = await (await this.#open()).runByIdempotencyKey(def.name, request.idempotencyKey);
      if (!existing) throw new SuiteRequestError(`the run of idempotency key "${request.idempotencyKey}" was removed by retention`, "state");
      return { run: existing, existing: true };
    }
    if (provoke) void this.#provoke(def, first, request.provokeRuns, request.stopOnFailure, request.filter);
    return { run: (await (await this.#open()).getRun(first.id, false))!, existing: false };
  }

  async #provoke(def: SuiteDefinition, first: StartedRun, runs: number, stopOnFailure: boolean, filter: string): Promise<void> {
    try {
      let last = await first.done;
      for (let i = 1; i < runs && !this.#closing; i++) {
        if (last.status === RunStatus.CANCELLED || last.status === RunStatus.INTERRUPTED || (stopOnFailure && last.status !== RunStatus.PASSED)) return;
        const next = await this.#begin(def, { trigger: RunTrigger.PROVOKE, filter, idempotencyKey: "", provokeOf: first.id });
        if (!next) return;
        last = await next.done;
      }
    } catch (err) {
      this.#log.error({ err, suite: def.name }, "provoke series stopped");
    }
  }

  /** Records and starts a run; undefined when its idempotency key is taken. */
  async #begin(
    def: SuiteDefinition,
    run: { trigger: RunTrigger; filter: string; idempotencyKey: string; provokeOf: string },
  ): Promise<StartedRun | undefined> {
    const id = `${def.name}-${randomBytes(5).toString("hex")}`;
    const filter = run.filter || def.filter;
    const history = await this.#open();
    const inserted = await history.insertRun({
      id,
      suite: def,
      trigger: run.trigger,
      filter,
      idempotencyKey: run.idempotencyKey,
      provokeOf: run.provokeOf,
      startedAt: Date.now(),
    });
    if (!inserted) return undefined;
    const controller = new AbortController();
    const progress = new RunProgress();
    this.#environments.set(id, new Set());
    const started = (await history.getRun(id, false))!;
    this.#hooks.call("runStarted", started);
    this.#log.info({ suite: def.name, run: id, trigger: RunTrigger[run.trigger] }, "suite run started");
    const done = executeRun(def, id, filter, controller.signal, progress, {
      history,
      host: this.options.attempts,
      hooks: this.#hooks,
      rigdEnv: this.options.rigdEnv,
      reportDir: this.reportDir,
      environmentsOf: (runId) => [...(this.#environments.get(runId) ?? [])],
      linksWritten: () => Promise.all([...this.#linking]).then(() => undefined),
      destroyEnvironment: this.options.destroyEnvironment,
      log: this.#log,
    })
      .catch((err: unknown) => {
        // The history failed under the run (a Postgres gone away): the run ends in error, rigd lives on.
        this.#log.error({ err, run: id }, "suite run could not be recorded");
        return create(RunSchema, { id, suite: def.name, namespace: def.namespace, status: RunStatus.ERROR, error: `history: ${(err as Error).message}` });
      })
      .then(async (finished) => {
        this.#active.delete(id);
        this.#environments.delete(id);
        progress.finish(finished);
        this.#log.info(
          { run: id, status: RunStatus[finished.status], passed: finished.passed, failed: finished.failed, flaky: finished.flaky },
          "suite run finished",
        );
        this.#hooks.call("runFinished", finished);
        await this.#prune();
        return finished;
      });
    this.#active.set(id, { suite: def.name, trigger: run.trigger, controller, progress, done });
    return { id, done };
  }

  async #prune(): Promise<void> {
    try {
      const removed = await (await this.#open()).prune(this.options.config.retention, Date.now());
      if (removed) this.#log.info({ removed }, "old suite runs removed");
    } catch (err) {
      this.#log.warn({ err }, "could not remove old suite runs");
    }
  }

  /** Cancels a running run and waits for its end. */
  async cancel(runId: string): Promise<Run> {
    const active = this.#active.get(runId);
    if (!active) {
      const run = await this.getRun(runId, false);
      throw new SuiteRequestError(`run ${runId} is not running (it is ${RunStatus[run.status].toLowerCase()})`, "state");
    }
    active.controller.abort("cancelled");
    return active.done;
  }

  /** A run with its tests; throws not-found. */
  async getRun(runId: string, includeOutput: boolean): Promise<Run> {
    const run = await (await this.#open()).getRun(runId, includeOutput);
    if (!run) throw new SuiteRequestError(`no run ${runId} (it may have been removed by retention)`, "not-found");
    return run;
  }

  /** Runs newest first. */
  async listRuns(suite: string, limit: number): Promise<Run[]> {
    return (await this.#open()).listRuns(suite, limit || 50);
  }

  /** The run as it stands, its progress, its end. */
  async *watch(runId: string, signal: AbortSignal): AsyncGenerator<WatchRunResponse> {
    const active = this.#active.get(runId);
    const state = await this.getRun(runId, false);
    yield create(WatchRunResponseSchema, { event: { case: "state", value: state } });
    if (!active) {
      yield create(WatchRunResponseSchema, { event: { case: "finished", value: state } });
      return;
    }
    yield* active.progress.follow(signal);
  }

  /** The flaky tests of one suite (or all), over each suite's last runs. */
  async flaky(suite: string, lastRuns: number): Promise<FlakyTest[]> {
    const history = await this.#open();
    const names = suite ? [this.#suite(suite).name] : await history.suitesWithRuns();
    const reports = await Promise.all(names.map(async (name) => flakyTests(name, await history.recentRuns(name, lastRuns || 20))));
    return reports.flat();
  }

  /** Links a new environment to the run (and test) its labels name. */
  environmentCreated(labels: Readonly<Record<string, string>>, environmentId: string): void {
    const runId = labels[SUITE_LABELS.run];
    // Only runs of this rigd: a label naming another rigd's run (a shared history) or none is ignored.
    if (!runId || !this.#environments.has(runId)) return;
    this.#environments.get(runId)!.add(environmentId);
    const write = this.#open()
      .then((history) => history.linkEnvironment(runId, environmentId, labels[SUITE_LABELS.test] ?? ""))
      .catch((err: unknown) => this.#log.warn({ err, run: runId, environment: environmentId }, "could not link an environment to its run"))
      .finally(() => this.#linking.delete(write));
    this.#linking.add(write);
  }

  /** Runs in flight (rigd is not idle while there are any). */
  get running(): number {
    return this.#active.size;
  }

  /** Whether any suite has a schedule (rigd stays up for it). */
  get scheduled(): boolean {
    return this.#schedules.size > 0;
  }

  /** Stops schedules, interrupts runs in flight (their trees killed, environments destroyed), closes history. */
  async close(): Promise<void> {
    this.#closing = true;
    for (const job of this.#schedules.values()) job.stop();
    const active = [...this.#active.values()];
    for (const run of active) run.controller.abort("interrupted");
    await Promise.all(active.map((r) => r.done.catch(() => undefined)));
    await this.#hooks.settle();
    await Promise.all([...this.#linking]);
    await (await this.#history?.catch(() => undefined))?.close();
  }
}
