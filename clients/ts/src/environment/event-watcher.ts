/**
 * Follows one environment's event stream for its whole life. The open stream is what
 * tells rigd a client still cares (rigd destroys unwatched environments after the orphan
 * grace), so a dropped stream is reopened after the last seen seq until
 * environment.down arrives, the watcher is closed, or rigd stays unreachable too long.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import type { Event } from "../gen/rig/v1/event_pb.js";
import type { RigApi } from "../api/rig-api.js";
import { RigError } from "../errors.js";

/** What the watcher reports. */
export interface EventWatcherHandlers {
  /** Every event, once, in seq order. */
  readonly onEvent: (event: Event) => void;
  /** The stream is gone for good without an environment.down (rigd unreachable or the environment unknown). */
  readonly onLost: (error: Error) => void;
}

/** Options of a watcher. */
export interface EventWatcherOptions {
  /** Give up reconnecting after this long without a stream. Default 30 s (the default orphan grace). */
  readonly giveUpAfterMs?: number;
}

/** A reconnecting WatchEvents loop; owns its stream and its retry timer. */
export class EventWatcher {
  readonly #abort = new AbortController();
  readonly #done: Promise<void>;
  #lastSeq = 0n;

  constructor(
    private readonly api: RigApi,
    private readonly environmentId: string,
    private readonly handlers: EventWatcherHandlers,
    private readonly options: EventWatcherOptions = {},
  ) {
    this.#done = this.#run();
  }

  /** Seq of the last event delivered. */
  get lastSeq(): bigint {
    return this.#lastSeq;
  }

  /** Stops following; resolves once the stream is closed. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    const giveUpAfterMs = this.options.giveUpAfterMs ?? 30_000;
    let failingSince: number | undefined;
    let backoffMs = 50;
    let lastError: unknown;
    let refusals = 0;
    while (!signal.aborted) {
      try {
        const stream = this.api.background.watchEvents(
          // No traffic: the session needs lifecycle and callbacks, and a test under load
          // would otherwise pay (in rigd and here) for every proxied request.
          { environmentId: this.environmentId, afterSeq: this.#lastSeq, includeLogs: false, excludeTraffic: true },
          { signal },
        );
        for await (const response of stream) {
          failingSince = undefined;
          backoffMs = 50;
          refusals = 0;
          const event = response.event;
          if (!event || event.seq <= this.#lastSeq) continue;
          this.#lastSeq = event.seq;
          this.handlers.onEvent(event);
          if (event.payload.case === "environmentDown") return;
        }
        lastError = new Error("rigd ended the event stream before environment.down");
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ConnectError && err.code === Code.NotFound) {
          this.handlers.onLost(new RigError(`rig: rigd no longer knows environment ${this.environmentId}: ${err.rawMessage}`));
          return;
        }
        lastError = err;
        // A loopback rigd that refuses connections (or whose socket file is gone) has
        // died, and its watchdog has stopped this environment's services: say so at once
        // instead of retrying for the whole grace. Twice in a row, to skip a blip.
        if (rigdIsGone(err) && ++refusals >= 2) {
          this.handlers.onLost(new RigError(`rig: rigd is gone (${err instanceof Error ? err.message : String(err)})`));
          return;
        }
      }
      failingSince ??= Date.now();
      if (Date.now() - failingSince > giveUpAfterMs) {
        const why = lastError instanceof Error ? lastError.message : String(lastError);
        this.handlers.onLost(new RigError(`rig: lost the event stream of environment ${this.environmentId}: ${why}`));
        return;
      }
      // Unref'd: a retry alone does not keep the process alive; waits on the environment do.
      await sleep(backoffMs, undefined, { signal, ref: false }).catch(() => {});
      backoffMs = Math.min(backoffMs * 2, 1_000);
    }
  }
}

/** The error says nothing listens where rigd was: connection refused, or no socket file. */
function rigdIsGone(err: unknown): boolean {
  if (!(err instanceof ConnectError) || err.code !== Code.Unavailable) return false;
  const cause = err.cause as { code?: unknown } | undefined;
  return /ECONNREFUSED|ENOENT/.test(`${String(cause?.code ?? "")} ${err.message}`);
}
