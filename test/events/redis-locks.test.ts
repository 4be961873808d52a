import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { LeaseLost, LockBusy, type Lease } from "../../src/events/locks.js";
import { RedisLocks, type RedisLocksOptions } from "../../src/events/redis-locks.js";
import { startRedis, type RunningRedis } from "../support/redis.js";

function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** Resolves when the lease's signal aborts; rejects after `timeoutMs`. */
function lost(lease: Lease, timeoutMs = 5_000): Promise<void> {
  if (lease.signal.aborted) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the lease was not lost in time")), timeoutMs);
    lease.signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

describe("RedisLocks", () => {
  let redis: RunningRedis;
  let raw: Redis;
  let keys = 0;
  const freshKey = () => `octo/widgets#${++keys}`;
  const made: RedisLocks[] = [];
  const PREFIX = "test";
  const lockKey = (key: string) => `${PREFIX}:lock:${key}`;

  beforeAll(async () => {
    redis = await startRedis();
    raw = new Redis(redis.url);
  });
  afterAll(async () => {
    await raw?.quit();
    await redis?.stop();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await Promise.all(made.splice(0).map((l) => l.close()));
  });

  const locks = (options: Omit<RedisLocksOptions, "url"> = {}) => {
    const l = new RedisLocks({ url: redis.url, prefix: PREFIX, ...options });
    made.push(l);
    return l;
  };

  it("lets one holder at a time run across two processes, each later grant with a larger token", async () => {
    const key = freshKey();
    const a = locks({ waitMs: 20_000 });
    const b = locks({ waitMs: 20_000 });
    let inside = 0;
    let most = 0;
    const grants: Array<[string, number]> = [];
    const body = (who: string) => async (lease: Lease) => {
      inside++;
      most = Math.max(most, inside);
      grants.push([who, lease.token]);
      await sleep(25);
      await lease.check();
      inside--;
    };
    // Every body is started at once, so unlocked they would overlap.
    await Promise.all(Array.from({ length: 6 }, () => [a.run(key, body("a")), b.run(key, body("b"))]).flat());
    expect(most).toBe(1);
    expect(grants).toHaveLength(12);
    expect(new Set(grants.map(([who]) => who))).toEqual(new Set(["a", "b"]));
    const tokens = grants.map(([, token]) => token);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
    // The lock is free once every holder is done.
    expect(await raw.exists(lockKey(key))).toBe(0);
  });

  it("serves holders in one process in the order they asked, never contending with itself", async () => {
    const key = freshKey();
    // waitMs 0: had a holder here met its own process's lock in Redis, it would throw LockBusy.
    const a = locks({ waitMs: 0 });
    const order: number[] = [];
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        a.run(key, async () => {
          inside++;
          most = Math.max(most, inside);
          order.push(i);
          await sleep(20 - 3 * i);
          inside--;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  it("throws LockBusy after waitMs while another process holds the lock, without running fn", async () => {
    const key = freshKey();
    const holder = locks();
    const waiter = locks({ waitMs: 200 });
    const release = gate();
    const held = gate();
    const holding = holder.run(key, async () => {
      held.open();
      await release.opened;
    });
    await held.opened;
    let ran = false;
    const before = Date.now();
    const error = await waiter
      .run(key, async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    const waited = Date.now() - before;
    expect(error).toBeInstanceOf(LockBusy);
    expect((error as LockBusy).key).toBe(key);
    expect((error as LockBusy).retryAfterMs).toBeGreaterThanOrEqual(100);
    expect((error as LockBusy).retryAfterMs).toBeLessThanOrEqual(400);
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(1_500);
    expect(ran).toBe(false);
    release.open();
    await holding;
    // Free again: the waiter gets it now.
    await waiter.run(key, async () => {
      ran = true;
    });
    expect(ran).toBe(true);
  });

  it("grants tokens that only grow, across processes and LockBusy rounds", async () => {
    const key = freshKey();
    const a = locks({ waitMs: 100 });
    const b = locks({ waitMs: 100 });
    const tokens: number[] = [];
    const take = (l: RedisLocks) => l.run(key, async (lease) => void tokens.push(lease.token));
    await take(a);
    await take(b);
    // A LockBusy round in between draws no token a later grant could undercut.
    const release = gate();
    const held = gate();
    const holding = a.run(key, async (lease) => {
      tokens.push(lease.token);
      held.open();
      await release.opened;
    });
    await held.opened;
    await expect(take(b)).rejects.toBeInstanceOf(LockBusy);
    release.open();
    await holding;
    await take(b);
    await take(locks());
    await take(a);
    expect(tokens).toHaveLength(6);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1] as number);
  });

  it("loses a lease that lapsed (renewal off): the signal aborts, check() throws LeaseLost, another process takes the lock and keeps it", async () => {
    const key = freshKey();
    const a = locks({ leaseMs: 200, renewEveryMs: 0 });
    const b = locks({ waitMs: 5_000 });
    const bHolds = gate();
    const bRelease = gate();
    let bToken = 0;
    let aToken = 0;
    let bHolding: Promise<void> | undefined;
    await a.run(key, async (lease) => {
      aToken = lease.token;
      await lease.check();
      expect(lease.signal.aborted).toBe(false);
      await lost(lease);
      expect(lease.signal.reason).toBeInstanceOf(LeaseLost);
      await expect(lease.check()).rejects.toBeInstanceOf(LeaseLost);
      bHolding = b.run(key, async (bLease) => {
        bToken = bLease.token;
        bHolds.open();
        await bRelease.opened;
        await bLease.check();
      });
      await bHolds.opened;
      await expect(lease.check()).rejects.toBeInstanceOf(LeaseLost);
    });
    // a is done (and released what it could): b's lock is untouched.
    expect(bToken).toBeGreaterThan(aToken);
    expect(await raw.get(lockKey(key))).toBe(String(bToken));
    bRelease.open();
    await bHolding;
    expect(await raw.exists(lockKey(key))).toBe(0);
  });

  it("does not delete another holder's lock on release", async () => {
    const key = freshKey();
    // Renewal far off, so a does not notice it lost the lock before it releases.
    const a = locks({ leaseMs: 10_000 });
    const b = locks({ waitMs: 5_000 });
    let bToken = 0;
    const bRelease = gate();
    let bHolding: Promise<void> | undefined;
    await a.run(key, async (lease) => {
      // As if a's lease had lapsed (a paused process) and b had taken the lock.
      await raw.del(lockKey(key));
      const bHolds = gate();
      bHolding = b.run(key, async (bLease) => {
        bToken = bLease.token;
        bHolds.open();
        await bRelease.opened;
        await bLease.check();
      });
      await bHolds.opened;
      expect(lease.signal.aborted).toBe(false);
    });
    expect(await raw.get(lockKey(key))).toBe(String(bToken));
    bRelease.open();
    // b's own check and release still work.
    await bHolding;
    expect(await raw.exists(lockKey(key))).toBe(0);
  });

  it("aborts the lease when a renewal finds the lock gone", async () => {
    const key = freshKey();
    const a = locks({ leaseMs: 5_000, renewEveryMs: 50 });
    await a.run(key, async (lease) => {
      await raw.del(lockKey(key));
      const before = Date.now();
      await lost(lease, 2_000);
      expect(Date.now() - before).toBeLessThan(1_000);
      await expect(lease.check()).rejects.toBeInstanceOf(LeaseLost);
    });
  });

  it("renews a lease while fn runs past leaseMs, so nobody else takes the lock; renewal timers are unref'd and cleared", async () => {
    const key = freshKey();
    const setIntervalSpy = vi.spyOn(globalThis, "setInterval");
    const clearIntervalSpy = vi.spyOn(globalThis, "clearInterval");
    const a = locks({ leaseMs: 300, renewEveryMs: 77 });
    const b = locks({ waitMs: 100 });
    let tries = 0;
    let busy = 0;
    await a.run(key, async (lease) => {
      const end = Date.now() + 1_000;
      while (Date.now() < end) {
        tries++;
        await b.run(key, async () => {}).catch((error: unknown) => {
          if (error instanceof LockBusy) busy++;
        });
      }
      expect(lease.signal.aborted).toBe(false);
      await lease.check();
    });
    expect(tries).toBeGreaterThan(2);
    expect(busy).toBe(tries);
    const renewals = setIntervalSpy.mock.results.filter((_r, i) => setIntervalSpy.mock.calls[i]?.[1] === 77).map((r) => r.value as NodeJS.Timeout);
    expect(renewals).toHaveLength(1);
    expect(renewals[0]?.hasRef()).toBe(false);
    expect(clearIntervalSpy.mock.calls.some(([timer]) => timer === renewals[0])).toBe(true);
  });

  it("aborts the lease once Redis has been unreachable for longer than the lease", async () => {
    const own = await startRedis();
    const logs: string[] = [];
    const a = new RedisLocks({ url: own.url, leaseMs: 300, log: (message) => logs.push(message) });
    made.push(a);
    const key = freshKey();
    let lostAfter = 0;
    let checkedAfter = 0;
    await a.run(key, async (lease) => {
      await own.stop();
      const before = Date.now();
      // A check waiting on the unreachable Redis ends when the lease does, not when ioredis gives up.
      const checking = lease.check().finally(() => (checkedAfter = Date.now() - before));
      await lost(lease, 5_000);
      lostAfter = Date.now() - before;
      await expect(checking).rejects.toBeInstanceOf(LeaseLost);
      await expect(lease.check()).rejects.toBeInstanceOf(LeaseLost);
    });
    expect(lostAfter).toBeLessThan(1_000);
    expect(checkedAfter).toBeLessThan(1_000);
    expect(logs).toContain("lost a lock before its holder was done");
  });

  it("refuses to run once closed", async () => {
    const a = locks();
    await a.close();
    await a.close();
    await expect(a.run(freshKey(), async () => {})).rejects.toThrow(/closed/);
  });
});
