/**
 * Client callbacks of one environment (SPEC §8): publishes callback.request events
 * and settles each when the client posts the matching callback_response, or fails
 * it when no answer comes within the timeout.
 */
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { CallbackKind, CallbackRequestSchema, CallbackResponseSchema, type Wiring } from "../gen/rig/v1/event_pb.js";
import type { EventLog } from "../events/event-log.js";

interface Pending {
  /** e.g. `prestart hook "seed"`, for error messages. */
  readonly what: string;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** What a callback asks of the client. */
export interface CallbackCall {
  readonly name: string;
  readonly kind: CallbackKind;
  readonly service: string;
  readonly wiring: Wiring;
  readonly phase: string;
}

function describe(call: CallbackCall): string {
  return call.kind === CallbackKind.START ? `start handler "${call.name}"` : `${call.phase} hook "${call.name}"`;
}

export class CallbackBroker {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly log: EventLog,
    private readonly timeoutMs: number,
  ) {}

  /** Asks the client to run a handler; resolves when it answers without error. */
  request(call: CallbackCall, signal: AbortSignal): Promise<void> {
    const requestId = randomUUID();
    return new Promise<void>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.pending.delete(requestId);
      };
      const onAbort = (): void => {
        finish();
        reject(signal.reason instanceof Error ? signal.reason : new Error("environment stopped"));
      };
      const timer = setTimeout(() => {
        finish();
        reject(
          new Error(
            `client ${describe(call)} got no answer within ${this.timeoutMs / 1000}s; the client may be gone ` +
              `(is the test process still watching this environment?)`,
          ),
        );
      }, this.timeoutMs);
      this.pending.set(requestId, {
        what: describe(call),
        resolve: () => {
          finish();
          resolve();
        },
        reject: (err) => {
          finish();
          reject(err);
        },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      this.log.append(call.service, {
        case: "callbackRequest",
        value: create(CallbackRequestSchema, {
          requestId,
          name: call.name,
          kind: call.kind,
          service: call.service,
          wiring: call.wiring,
          phase: call.phase,
        }),
      });
    });
  }

  /**
   * Settles a pending callback with the client's answer and logs it. Returns false
   * when the id is unknown or already settled (answered, timed out, or aborted).
   */
  answer(requestId: string, error: string, service: string): boolean {
    const pending = this.pending.get(requestId);
    if (!pending) return false;
    this.log.append(service, { case: "callbackResponse", value: create(CallbackResponseSchema, { requestId, error }) });
    if (error) pending.reject(new Error(`client ${pending.what} failed: ${error}`));
    else pending.resolve();
    return true;
  }
}
