import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { LeaseLost, LockBusy, MemoryLocks, type ArtifactLocks, type Lease } from "./locks.js";

export interface RedisLocksOptions {
  /** `REDIS_URL`; it may hold a password, so it is never logged. */
  url: string;
  /** How long a grant lives without renewal: a crashed holder's lock lapses after this. */
  leaseMs?: number | undefined;
  /** How often a holder renews its lease (default a third of `leaseMs`); 0 (or Infinity) turns renewal off: the lease then lapses after `leaseMs`. */
  renewEveryMs?: number | undefined;
  /** How long `run` keeps trying for a lock another process holds before it throws `LockBusy`. */
  waitMs?: number | undefined;
  /** The first part of every key: `<prefix>:lock:<key>`, `<prefix>:fence:<key>`. */
  prefix?: string | undefined;
  log?: ((message: string, fields: Record<string, unknown>) => void) | undefined;
}

/**
 * Takes the lock only when nobody holds it, and only then draws the next fencing
 * token, in one step: had the token been drawn before the `SET NX` (two commands),
 * a process that drew 5 could be granted the lock after one that drew 6 had it,
 * and a later grant would carry a smaller token. The fence key never expires.
 */
const ACQUIRE = `
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
local token = redis.call("INCR", KEYS[2])
redis.call("SET", KEYS[1], token, "PX", ARGV[1])
return token
`;

/** Extends the lease only while the lock still holds our token. */
const RENEW = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
return 0
`;

/** Deletes the lock only while it still holds our token (a lapsed holder never frees its successor's lock). */
const RELEASE = `
if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
`;

function jitter(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * Locks shared by every process on one Redis. Holders in this process queue in
 * order first (`MemoryLocks`), so a process never contends with itself; the one at
 * the head then takes the Redis lock with a lease it renews while `fn` runs. A lease
 * counts as lost (its signal aborts, `check` throws `LeaseLost`) when a renewal finds
 * the lock gone or someone else's, or when no renewal has been confirmed for
 * `leaseMs` (Redis unreachable, or renewal off): by then the key may have expired.
 *
 * The lock and fence keys of one artifact are touched by one script, so on a Redis
 * Cluster they would need a hash tag; a single Redis (or a primary with replicas) is
 * what this is written for.
 */
export class RedisLocks implements ArtifactLocks {
  readonly kind = "redis" as const;
  private readonly local = new MemoryLocks();
  private readonly redis: Redis;
  private readonly leaseMs: number;
  private readonly renewEveryMs: number;
  private readonly waitMs: number;
  private readonly prefix: string;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;
  private closing: Promise<void> | undefined;

  constructor(options: RedisLocksOptions) {
    this.leaseMs = options.leaseMs ?? 15_000;
    if (!(this.leaseMs > 0)) throw new Error("leaseMs must be positive");
    this.renewEveryMs = options.renewEveryMs ?? Math.max(1, Math.floor(this.leaseMs / 3));
    this.waitMs = options.waitMs ?? 1_000;
    this.prefix = options.prefix ?? "factory";
    this.log = options.log ?? (() => {});
    this.redis = new Redis(options.url);
    this.redis.on("error", (error: Error) => this.log("redis locks connection error", { err: error.message }));
  }

  private lockKey(key: string): string {
    return `${this.prefix}:lock:${key}`;
  }

  private fenceKey(key: string): string {
    return `${this.prefix}:fence:${key}`;
  }

  run<T>(key: string, fn: (lease: Lease) => Promise<T>): Promise<T> {
    if (this.closing) return Promise.reject(new Error("the locks are closed"));
    return this.local.run(key, async () => {
      const { token, sentAt } = await this.acquire(key);
      const holding = this.hold(key, token, sentAt);
      try {
        return await fn(holding.lease);
      } finally {
        holding.stop();
        // A lost lease is not ours to free (and Redis may be unreachable): it lapses by itself.
        if (!holding.lease.signal.aborted) await this.release(key, token);
      }
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.redis.status === "ready") {
        await this.redis.quit().catch(() => this.redis.disconnect());
      } else {
        this.redis.disconnect();
      }
    })();
    return this.closing;
  }

  /** Tries for the lock until `waitMs` has passed; resolves with the granted token and when the grant was asked for. */
  private async acquire(key: string): Promise<{ token: number; sentAt: number }> {
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const sentAt = Date.now();
      const granted = Number(await this.redis.eval(ACQUIRE, 2, this.lockKey(key), this.fenceKey(key), String(this.leaseMs)));
      if (granted > 0) return { token: granted, sentAt };
      const left = deadline - Date.now();
      if (left <= 0) throw new LockBusy(key, jitter(100, 400));
      await sleep(Math.min(left, jitter(20, 100)));
    }
  }

  /** The lease of one grant: renews it while held, and aborts its signal when it is lost. */
  private hold(key: string, token: number, sentAt: number): { lease: Lease; stop: () => void } {
    const controller = new AbortController();
    const lockKey = this.lockKey(key);
    let watchdog: NodeJS.Timeout | undefined;
    let renewal: NodeJS.Timeout | undefined;
    let renewing = false;

    const stop = () => {
      clearTimeout(watchdog);
      clearInterval(renewal);
      watchdog = undefined;
      renewal = undefined;
    };
    const lose = (why: string) => {
      if (controller.signal.aborted) return;
      stop();
      this.log("lost a lock before its holder was done", { key, token, why });
      controller.abort(new LeaseLost(key));
    };
    /** The grant (or its last renewal) was asked for at `at`: it holds until `at + leaseMs` at the latest. */
    const confirmed = (at: number) => {
      if (controller.signal.aborted) return;
      clearTimeout(watchdog);
      watchdog = setTimeout(() => lose("no renewal was confirmed within the lease"), Math.max(0, at + this.leaseMs - Date.now()));
      watchdog.unref();
    };
    confirmed(sentAt);

    if (this.renewEveryMs > 0 && this.renewEveryMs < 2 ** 31) {
      renewal = setInterval(() => {
        if (renewing || controller.signal.aborted) return;
        renewing = true;
        const at = Date.now();
        this.redis
          .eval(RENEW, 1, lockKey, String(token), String(this.leaseMs))
          .then((renewed) => (Number(renewed) === 1 ? confirmed(at) : lose("the lock was gone or held by another process at renewal")))
          // The watchdog decides when failing renewals mean the lease is lost.
          .catch((error: unknown) => this.log("could not renew a lock", { key, token, err: (error as Error).message }))
          .finally(() => (renewing = false));
      }, this.renewEveryMs);
      renewal.unref();
    }

    /** Rejects when the lease is lost, so a check waiting on an unreachable Redis ends with the lease. */
    const gone = new Promise<never>((_resolve, reject) => controller.signal.addEventListener("abort", () => reject(new LeaseLost(key)), { once: true }));
    gone.catch(() => {});

    const lease: Lease = {
      key,
      token,
      signal: controller.signal,
      check: async () => {
        if (controller.signal.aborted) throw new LeaseLost(key);
        const reading = this.redis.get(lockKey);
        reading.catch(() => {});
        const value = await Promise.race([reading, gone]);
        if (value !== String(token)) {
          lose("the lock was gone or held by another process at a check");
          throw new LeaseLost(key);
        }
        // The GET may have answered just as the watchdog fired.
        if (controller.signal.aborted) throw new LeaseLost(key);
      },
    };
    return { lease, stop };
  }

  private async release(key: string, token: number): Promise<void> {
    try {
      await this.redis.eval(RELEASE, 1, this.lockKey(key), String(token));
    } catch (error) {
      // The lease lapses by itself; the next holder waits at most leaseMs.
      this.log("could not release a lock", { key, token, err: (error as Error).message });
    }
  }
}
