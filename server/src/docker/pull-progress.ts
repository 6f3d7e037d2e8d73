/**
 * A pull's progress stream (one JSON message per layer update, as the engine sends it) as
 * lines a person can follow: each layer's status when it changes ("Pulling fs layer",
 * "Download complete", "Pull complete"), and the bytes of the whole pull ("pulling
 * postgres:16: 12.4 of 80.1 MiB, 3 of 9 layers done") at most every `intervalMs` while
 * layers download, so a slow pull shows it is moving without a line per chunk.
 */

/** One message of a pull's progress stream. */
export interface PullMessage {
  readonly id?: string;
  readonly status?: string;
  readonly progressDetail?: { readonly current?: number; readonly total?: number };
}

interface Layer {
  status: string;
  current: number;
  total: number;
  done: boolean;
}

/** Turns the messages of one pull into progress lines. */
export class PullProgress {
  readonly #layers = new Map<string, Layer>();
  #lastBytesLine = 0;

  constructor(
    private readonly image: string,
    private readonly emit: (line: string) => void,
    private readonly intervalMs = 500,
    private readonly now: () => number = Date.now,
  ) {}

  /** Feeds one message. */
  message(m: PullMessage): void {
    if (!m.status) return;
    if (!m.id || !isLayerStatus(m.status)) {
      this.emit(m.id ? `${m.id}: ${m.status}` : m.status);
      return;
    }
    let layer = this.#layers.get(m.id);
    if (!layer) {
      layer = { status: "", current: 0, total: 0, done: false };
      this.#layers.set(m.id, layer);
    }
    const detail = m.progressDetail;
    if (m.status === "Downloading" && detail?.total) {
      layer.current = detail.current ?? layer.current;
      layer.total = detail.total;
    }
    if (m.status === "Download complete" || m.status === "Pull complete" || m.status === "Already exists") {
      layer.current = layer.total;
      layer.done = m.status !== "Download complete";
    }
    if (m.status !== layer.status && m.status !== "Downloading" && m.status !== "Extracting") {
      this.emit(`${m.id}: ${m.status}`);
    }
    layer.status = m.status;
    if (m.status === "Downloading" && this.now() - this.#lastBytesLine >= this.intervalMs) {
      this.#lastBytesLine = this.now();
      this.emit(this.bytesLine());
    }
  }

  /** The pull finished: its total, once. */
  finish(): void {
    if (this.#layers.size > 0) this.emit(this.bytesLine());
  }

  /** "pulling IMAGE: 12.4 of 80.1 MiB, 3 of 9 layers done" (sizes of layers known so far). */
  bytesLine(): string {
    let current = 0;
    let total = 0;
    let done = 0;
    for (const layer of this.#layers.values()) {
      current += layer.current;
      total += layer.total;
      if (layer.done) done++;
    }
    return `pulling ${this.image}: ${mib(current)} of ${mib(total)} MiB, ${done} of ${this.#layers.size} layers done`;
  }
}

/** Messages about one layer (the others: "Pulling from ...", "Digest: ...", "Status: ..."). */
function isLayerStatus(status: string): boolean {
  return /^(Pulling fs layer|Waiting|Downloading|Verifying Checksum|Download complete|Extracting|Pull complete|Already exists)$/.test(status);
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
