/**
 * The suites of one rigd: the registered suites (the suites file's, and the API's kept
 * in history), their cron schedules, the runs in flight (cancel, watch, provoke series),
 * and the environments each run created (linked by the labels the SDKs set). History
 * outlives rigd; a run rigd stopped during is recorded as interrupted.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { Cron } from "croner";
import type { Logger } from "pino";
import type { SuiteHook } from "../contract/suite-hooks.js";
import {
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
import { RunHistory } from "./run-history.js";
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
}

interface ActiveRun {
  readonly suite: string;
  readonly trigger: RunTrigger;
  readonly controller: AbortController;
  readonly progress: RunProgress;
  readonly done: Promise<Run>;
}

export class SuiteHost {
  readonly history: RunHistory;
  readonly #suites = new Map<string, SuiteDefinition>();
  readonly #schedules = new Map<string, Cron>();
  readonly #active = new Map<string, ActiveRun>();
  readonly #environments = new Map<string, Set<string>>();
  readonly #hooks: HookCaller;
  readonly #log: Logger;
  readonly #reportDir: string;
  #closing = false;

  constructor(private readonly options: SuiteHostOptions) {
    this.#log = options.logger.child({ component: "suites" });
    const dir = join(options.rigDir, "suites");
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.#reportDir = join(dir, "reports");
    mkdirSync(this.#reportDir, { recursive: true });
    this.history = new RunHistory(join(dir, "history.sqlite"));
    const interrupted = this.history.markInterrupted(Date.now());
    if (interrupted.length) this.#log.warn({ runs: interrupted }, "runs a stopped rigd left running are marked interrupted");
    this.#prune();
    this.#hooks = new HookCaller(options.hooks, this.#log);
    for (const def of this.history.savedSuites()) this.#add(def);
    // The config file wins over an API registration of the same name.
    for (const def of options.config.suites) this.#add(def);
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
    this.#begin(this.#suite(name), { trigger: RunTrigger.SCHEDULE, filter: "", idempotencyKey: "", provokeOf: "" });
  }

  /** Registers (or replaces) a suite from the API; kept in history for later rigds. */
  register(suite: Suite): Suite {
    const def = defineSuite(suite, "api", process.cwd(), "suite");
    if (this.#suites.get(def.name)?.source === "config") {
      throw new SuiteRequestError(`suite "${def.name}" comes from ${this.options.config.file}; change it there`, "state");
    }
    this.history.saveSuite(def);
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
  start(request: Pick<StartRunRequest, "suite" | "filter" | "idempotencyKey" | "provokeRuns" | "stopOnFailure">): { run: Run; existing: boolean } {
    if (this.#closing) throw new SuiteRequestError("rigd is shutting down", "state");
    const def = this.#suite(request.suite);
    if (request.idempotencyKey) {
      const existing = this.history.runByIdempotencyKey(def.name, request.idempotencyKey);
      if (existing) return { run: existing, existing: true };
    }
    const provoke = request.provokeRuns > 1;
    const first = this.#begin(def, {
      trigger: provoke ? RunTrigger.PROVOKE : RunTrigger.MANUAL,
      filter: request.filter,
      idempotencyKey: request.idempotencyKey,
      provokeOf: "",
    });
    if (provoke) void this.#provoke(def, first, request.provokeRuns, request.stopOnFailure, request.filter);
    return { run: this.history.getRun(first, false)!, existing: false };
  }

  async #provoke(def: SuiteDefinition, firstId: string, runs: number, stopOnFailure: boolean, filter: string): Promise<void> {
    let last = await this.#active.get(firstId)!.done;
    for (let i = 1; i < runs && !this.#closing; i++) {
      if (last.status === RunStatus.CANCELLED || (stopOnFailure && last.status !== RunStatus.PASSED)) return;
      const id = this.#begin(def, { trigger: RunTrigger.PROVOKE, filter, idempotencyKey: "", provokeOf: firstId });
      last = await this.#active.get(id)!.done;
    }
  }

  #begin(def: SuiteDefinition, run: { trigger: RunTrigger; filter: string; idempotencyKey: string; provokeOf: string }): string {
    const id = `${def.name}-${randomBytes(5).toString("hex")}`;
    const filter = run.filter || def.filter;
    this.history.insertRun({ id, suite: def, trigger: run.trigger, filter, idempotencyKey: run.idempotencyKey, provokeOf: run.provokeOf, startedAt: Date.now() });
    const controller = new AbortController();
    const progress = new RunProgress();
    this.#environments.set(id, new Set());
    const started = this.history.getRun(id, false)!;
    this.#hooks.call("runStarted", started);
    this.#log.info({ suite: def.name, run: id, trigger: RunTrigger[run.trigger] }, "suite run started");
    const done = executeRun(def, id, filter, controller.signal, progress, {
      history: this.history,
      host: this.options.attempts,
      hooks: this.#hooks,
      rigdEnv: this.options.rigdEnv,
      reportDir: this.#reportDir,
      environmentsOf: (runId) => [...(this.#environments.get(runId) ?? [])],
      destroyEnvironment: this.options.destroyEnvironment,
      log: this.#log,
    }).then((finished) => {
      this.#active.delete(id);
      this.#environments.delete(id);
      progress.finish(finished);
      this.#log.info({ run: id, status: RunStatus[finished.status], passed: finished.passed, failed: finished.failed, flaky: finished.flaky }, "suite run finished");
      this.#hooks.call("runFinished", finished);
      this.#prune();
      return finished;
    });
    this.#active.set(id, { suite: def.name, trigger: run.trigger, controller, progress, done });
    return id;
  }

  #prune(): void {
    const removed = this.history.prune(this.options.config.retention, Date.now());
    if (removed) this.#log.info({ removed }, "old suite runs removed");
  }

  /** Cancels a running run and waits for its end. */
  async cancel(runId: string): Promise<Run> {
    const active = this.#active.get(runId);
    if (!active) {
      const run = this.getRun(runId, false);
      throw new SuiteRequestError(`run ${runId} is not running (it is ${RunStatus[run.status].toLowerCase()})`, "state");
    }
    active.controller.abort("cancelled");
    return active.done;
  }

  /** A run with its tests; throws not-found. */
  getRun(runId: string, includeOutput: boolean): Run {
    const run = this.history.getRun(runId, includeOutput);
    if (!run) throw new SuiteRequestError(`no run ${runId} (it may have been removed by retention)`, "not-found");
    return run;
  }

  /** Runs newest first. */
  listRuns(suite: string, limit: number): Run[] {
    return this.history.listRuns(suite, limit || 50);
  }

  /** The run as it stands, its progress, its end. */
  async *watch(runId: string, signal: AbortSignal): AsyncGenerator<WatchRunResponse> {
    const active = this.#active.get(runId);
    const state = this.getRun(runId, false);
    yield create(WatchRunResponseSchema, { event: { case: "state", value: state } });
    if (!active) {
      yield create(WatchRunResponseSchema, { event: { case: "finished", value: state } });
      return;
    }
    yield* active.progress.follow(signal);
  }

  /** The flaky tests of one suite (or all), over each suite's last runs. */
  flaky(suite: string, lastRuns: number): FlakyTest[] {
    const names = suite ? [this.#suite(suite).name] : this.history.suitesWithRuns();
    return names.flatMap((name) => flakyTests(name, this.history.recentRuns(name, lastRuns || 20)));
  }

  /** Links a new environment to the run (and test) its labels name. */
  environmentCreated(labels: Readonly<Record<string, string>>, environmentId: string): void {
    const runId = labels[SUITE_LABELS.run];
    if (!runId || !this.history.hasRun(runId)) return;
    this.#environments.get(runId)?.add(environmentId);
    this.history.linkEnvironment(runId, environmentId, labels[SUITE_LABELS.test] ?? "");
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
    this.history.close();
  }
}
