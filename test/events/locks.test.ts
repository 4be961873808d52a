import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { LeaseLost, LockBusy, MemoryLocks } from "../../src/events/locks.js";

describe("MemoryLocks", () => {
  it("runs the holders of one key one at a time, in the order they asked", async () => {
    const locks = new MemoryLocks();
    const order: number[] = [];
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        locks.run("octo/widgets#1", async () => {
          inside++;
          most = Math.max(most, inside);
          order.push(i);
          // Later holders finish faster: unlocked, they would overtake.
          await sleep(25 - 5 * i);
          inside--;
        }),
      ),
    );
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  it("runs holders of different keys at once", async () => {
    const locks = new MemoryLocks();
    let inside = 0;
    let most = 0;
    const body = async () => {
      inside++;
      most = Math.max(most, inside);
      await sleep(20);
      inside--;
    };
    await Promise.all([locks.run("octo/widgets#1", body), locks.run("octo/widgets#2", body), locks.run("octo/widgets#ledger", body)]);
    expect(most).toBe(3);
  });

  it("grants tokens that grow per key, and a lease that is never lost", async () => {
    const locks = new MemoryLocks();
    const tokens: Array<[string, number]> = [];
    for (const key of ["a#1", "a#1", "a#2", "a#1"]) {
      await locks.run(key, async (lease) => {
        expect(lease.key).toBe(key);
        expect(lease.signal.aborted).toBe(false);
        await expect(lease.check()).resolves.toBeUndefined();
        tokens.push([key, lease.token]);
      });
    }
    expect(tokens).toEqual([
      ["a#1", 1],
      ["a#1", 2],
      ["a#2", 1],
      ["a#1", 3],
    ]);
  });

  it("passes fn's result and error through, and releases the key after either", async () => {
    const locks = new MemoryLocks();
    await expect(locks.run("k", async () => 42)).resolves.toBe(42);
    const failing = locks.run("k", async () => {
      throw new Error("boom");
    });
    const next = locks.run("k", async () => "after");
    await expect(failing).rejects.toThrow("boom");
    await expect(next).resolves.toBe("after");
  });

  it("says a key is held while a holder runs or waits, and not after", async () => {
    const locks = new MemoryLocks();
    let release = () => {};
    const first = locks.run("k", () => new Promise<void>((resolve) => (release = resolve)));
    const second = locks.run("k", async () => {});
    expect(locks.held("k")).toBe(true);
    expect(locks.held("other")).toBe(false);
    await sleep(5);
    release();
    await Promise.all([first, second]);
    expect(locks.held("k")).toBe(false);
    expect(locks.kind).toBe("memory");
    await locks.close();
  });
});

describe("LockBusy and LeaseLost", () => {
  it("carry the key (and when to try again)", () => {
    const busy = new LockBusy("octo/widgets#3", 250);
    expect(busy).toBeInstanceOf(Error);
    expect(busy.name).toBe("LockBusy");
    expect(busy.key).toBe("octo/widgets#3");
    expect(busy.retryAfterMs).toBe(250);
    expect(busy.message).toContain("octo/widgets#3");
    const lost = new LeaseLost("octo/widgets#3");
    expect(lost.name).toBe("LeaseLost");
    expect(lost.key).toBe("octo/widgets#3");
    expect(lost.message).toContain("octo/widgets#3");
  });
});
