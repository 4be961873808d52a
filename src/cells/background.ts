/**
 * Work that runs after the webhook is answered. Probot spaces writes (1 s, and 3 s
 * for ones that notify people), so a handler that wrote as it went would pass
 * GitHub's 10 s limit; handlers filter the payload, enqueue here, and return.
 *
 * - `serial(key, job)`: jobs with the same key run one at a time, in order (one
 *   artifact's events never race inside a process).
 * - `coalesce(key, job)`: at most one running and one waiting per key; a burst of
 *   requests makes one more run (the ledger rebuild).
 *
 * In memory: a job lost with the process is recovered by redelivering its webhook,
 * which every handler treats idempotently.
 */
export class Background {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly waiting = new Map<string, () => Promise<void>>();
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly onError: (key: string, error: unknown) => void) {}

  serial(key: string, job: () => Promise<void>): void {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.guard(key, job));
    this.tails.set(key, next);
    this.track(next.finally(() => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    }));
  }

  coalesce(key: string, job: () => Promise<void>): void {
    if (this.running.has(key)) {
      this.waiting.set(key, job);
      return;
    }
    const run = this.guard(key, job).finally(() => {
      this.running.delete(key);
      const next = this.waiting.get(key);
      if (next) {
        this.waiting.delete(key);
        this.coalesce(key, next);
      }
    });
    this.running.set(key, run);
    this.track(run);
  }

  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves when nothing is running or waiting, including work that work enqueued. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private track(promise: Promise<void>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private async guard(key: string, job: () => Promise<void>): Promise<void> {
    try {
      await job();
    } catch (error) {
      this.onError(key, error);
    }
  }
}
