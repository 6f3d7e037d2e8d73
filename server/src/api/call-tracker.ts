/**
 * Counts in-flight HTTP requests (every RPC is one) and remembers when the last one
 * started or ended, so rigd can tell when it has been idle. It also refuses new calls
 * once rigd is draining.
 */
import type { RequestHandler } from "./cleartext-server.js";

/** Wraps a request handler to observe the calls it serves. */
export class CallTracker {
  #inFlight = 0;
  #lastActivity = Date.now();
  #draining = false;

  /** Calls that have started and not yet finished (streams count until they end). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Epoch ms of the last call start or end (or of construction). */
  get lastActivity(): number {
    return this.#lastActivity;
  }

  /** From now on answer new calls with 503 (gRPC clients see UNAVAILABLE). */
  drain(): void {
    this.#draining = true;
  }

  /** The handler with tracking around it. */
  wrap(handler: RequestHandler): RequestHandler {
    return (req, res) => {
      if (this.#draining) {
        // No "connection: close" header: it is illegal in HTTP/2.
        res.statusCode = 503;
        res.setHeader("content-type", "text/plain");
        res.end("rigd is shutting down\n");
        return;
      }
      this.#inFlight++;
      this.#lastActivity = Date.now();
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        this.#inFlight--;
        this.#lastActivity = Date.now();
      };
      // 'close' fires on completion and on abort, for http and for http2 responses.
      res.once("close", finish);
      handler(req, res);
    };
  }
}
