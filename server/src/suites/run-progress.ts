/**
 * The live progress of one run, for WatchRun: attempts, test results and output lines in
 * order, replayed to a late watcher and followed until the run ends. Output lines beyond
 * MAX_KEPT_LINES are dropped from the replay (the history keeps each test's output).
 */
import { create } from "@bufbuild/protobuf";
import { WatchRunResponseSchema, type Run, type WatchRunResponse } from "../gen/rig/v1/suite_service_pb.js";

const MAX_KEPT_LINES = 5000;

export class RunProgress {
  readonly #events: WatchRunResponse[] = [];
  #wake: (() => void)[] = [];
  #lines = 0;
  #finished: Run | undefined;

  /** Adds an event (attempt started, test finished, output line). */
  push(event: WatchRunResponse["event"]): void {
    if (event.case === "outputLine" && ++this.#lines > MAX_KEPT_LINES) return;
    this.#events.push(create(WatchRunResponseSchema, { event }));
    this.#notify();
  }

  /** Ends the progress with the finished run. */
  finish(run: Run): void {
    this.#finished = run;
    this.#notify();
  }

  get finished(): Run | undefined {
    return this.#finished;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = [];
    for (const w of wake) w();
  }

  /** Every event so far, then live ones, then the finished run; ends early when the signal aborts. */
  async *follow(signal: AbortSignal): AsyncGenerator<WatchRunResponse> {
    let index = 0;
    for (;;) {
      while (index < this.#events.length) yield this.#events[index++]!;
      if (this.#finished) {
        yield create(WatchRunResponseSchema, { event: { case: "finished", value: this.#finished } });
        return;
      }
      if (signal.aborted) return;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          signal.removeEventListener("abort", done);
          resolve();
        };
        this.#wake.push(done);
        signal.addEventListener("abort", done, { once: true });
      });
    }
  }
}
