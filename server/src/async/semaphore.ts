/**
 * At most N holders at once; the rest wait in order. Used to bound how many host
 * processes rigd spawns at the same moment, so starting a thousand services never
 * stalls every other client's calls.
 */
export class Semaphore {
  private held = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly max: number) {}

  /** Runs `work` once a slot is free, and frees it when `work` settles. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.held >= this.max) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.held++;
    try {
      return await work();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.held--;
    }
  }
}
