/**
 * Runs at most one job per key at a time and coalesces the rest: a request that
 * arrives while a job runs makes one more run afterwards, however many arrive.
 * Keeps slow, repeatable work (the ledger rebuild) off the webhook's path.
 */
export class CoalescingScheduler {
  private readonly running = new Map<string, Promise<void>>();
  private readonly dirty = new Map<string, () => Promise<void>>();

  constructor(private readonly onError: (key: string, error: unknown) => void) {}

  schedule(key: string, job: () => Promise<void>): void {
    if (this.running.has(key)) {
      this.dirty.set(key, job);
      return;
    }
    this.start(key, job);
  }

  private start(key: string, job: () => Promise<void>): void {
    const run = (async () => {
      try {
        await job();
      } catch (error) {
        this.onError(key, error);
      }
    })().finally(() => {
      this.running.delete(key);
      const next = this.dirty.get(key);
      if (next) {
        this.dirty.delete(key);
        this.start(key, next);
      }
    });
    this.running.set(key, run);
  }

  /** Resolves when nothing is running or waiting. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running.values()]);
  }
}
