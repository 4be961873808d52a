/**
 * One holder at a time per artifact (or per repository's ledger), across every
 * process that shares the line. A holder has a lease: it lasts while the holder
 * renews it, so a crashed holder's lock expires and another process takes the
 * event. Each grant carries a fencing token that grows with every grant of the
 * key; before each write to GitHub the holder checks it still holds the lock
 * (`Lease.check`), and a holder that lost it stops (`LeaseLost`). What a lapsed
 * lease still lets through, the fold tolerates (`state/fold.ts`).
 */
export interface Lease {
  readonly key: string;
  /** Grows with every grant of this key: a later holder always has a larger token. */
  readonly token: number;
  /** Aborts when the lease is lost (a renewal found another holder, or Redis was unreachable past the lease). */
  readonly signal: AbortSignal;
  /** Throws `LeaseLost` when this holder no longer holds the lock. */
  check(): Promise<void>;
}

export interface ArtifactLocks {
  readonly kind: "memory" | "redis";
  /**
   * Runs `fn` holding `key`'s lock and releases it after. Holders in this process
   * wait their turn in order; when another process holds the lock past the wait,
   * this throws `LockBusy` and the inbox tries the event again shortly.
   */
  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Another process holds the lock: try again after `retryAfterMs` (not a failure of the event). */
export class LockBusy extends Error {
  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
  ) {
    super(`${key} is being handled by another process`);
    this.name = "LockBusy";
  }
}

/** This holder's lease ran out (or was taken over) before it was done: its event is tried again from the start. */
export class LeaseLost extends Error {
  constructor(readonly key: string) {
    super(`the lock on ${key} was lost before the event was handled; it will be handled again`);
    this.name = "LeaseLost";
  }
}

/**
 * Locks inside one process: each key is a queue of holders, served in order. The
 * lease never lapses (a process cannot outlive itself), so `check` never throws.
 */
export class MemoryLocks implements ArtifactLocks {
  readonly kind = "memory" as const;
  private readonly tails = new Map<string, Promise<void>>();
  private readonly tokens = new Map<string, number>();

  async run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const turn = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => turn);
    this.tails.set(key, tail);
    await previous;
    const token = (this.tokens.get(key) ?? 0) + 1;
    this.tokens.set(key, token);
    try {
      return await fn({ key, token, signal: new AbortController().signal, check: async () => {} });
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }

  /** Whether any holder is running or waiting on `key` (the Redis locks use this to keep one process from contending with itself). */
  held(key: string): boolean {
    return this.tails.has(key);
  }

  async close(): Promise<void> {}
}
