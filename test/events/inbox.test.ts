import { setTimeout as sleep } from "node:timers/promises";
import { PermanentFailure } from "../../src/line/failures.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  DEFAULT_RETRY,
  MemoryInbox,
  SeenIds,
  backoffMs,
  failureOf,
  type DeadEventHandler,
  type Failure,
  type RetryPolicy,
} from "../../src/events/inbox.js";
import { lineEvent, type LineEvent } from "../../src/events/line-event.js";
import { LeaseLost, LockBusy } from "../../src/events/locks.js";

function event(id: string): LineEvent {
  return lineEvent("ledger", { id, installationId: 1, owner: "octo", repo: "widgets", target: { ledger: true }, what: "test", data: {} });
}

/** An Octokit RequestError's shape: a status, the request, the response. */
function githubError(status: number, message: string, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), {
    status,
    request: { method: "POST", url: "https://api.github.com/repos/octo/widgets/issues/12/comments" },
    response: { headers },
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

function deadLog(): { calls: Array<{ id: string; failure: Failure; attempts: number }>; handler: DeadEventHandler } {
  const calls: Array<{ id: string; failure: Failure; attempts: number }> = [];
  return { calls, handler: async (e, failure, attempts) => void calls.push({ id: e.id, failure, attempts }) };
}

describe("backoffMs", () => {
  const policy: RetryPolicy = { attempts: 6, baseMs: 1_000, capMs: 10_000 };

  it("doubles from baseMs with each attempt, up to capMs", () => {
    const middle = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(policy, attempt, middle))).toEqual([1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
  });

  it("spreads each delay ±20%", () => {
    expect(backoffMs(policy, 2, () => 0)).toBe(1_600);
    expect(backoffMs(policy, 2, () => 1)).toBe(2_400);
    for (let i = 0; i < 100; i++) {
      const delay = backoffMs(policy, 3);
      expect(delay).toBeGreaterThanOrEqual(3_200);
      expect(delay).toBeLessThanOrEqual(4_800);
    }
  });

  it("treats an attempt below 1 as the first", () => {
    expect(backoffMs(policy, 0, () => 0.5)).toBe(1_000);
    expect(backoffMs(policy, -3, () => 0.5)).toBe(1_000);
  });

  it("gives about two minutes of retries by default (2, 4, 8, 16, 32 s)", () => {
    const delays = Array.from({ length: DEFAULT_RETRY.attempts - 1 }, (_, i) => backoffMs(DEFAULT_RETRY, i + 1, () => 0.5));
    expect(delays).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
  });
});

describe("failureOf", () => {
  it("makes LockBusy a 'later' with its delay, which spends no attempt", () => {
    expect(failureOf(new LockBusy("octo/widgets#1", 321))).toEqual({ kind: "later", delayMs: 321, reason: "octo/widgets#1 is being handled by another process" });
  });

  it("makes a lost lease transient, and PermanentFailure permanent", () => {
    expect(failureOf(new LeaseLost("octo/widgets#1")).kind).toBe("transient");
    expect(failureOf(new PermanentFailure("no such artifact"))).toEqual({ kind: "permanent", reason: "no such artifact" });
  });

  it("makes GitHub's 5xx, 429 and rate-limit 403 transient, and other 4xx permanent, saying what GitHub answered", () => {
    expect(failureOf(githubError(502, "Bad Gateway"))).toEqual({
      kind: "transient",
      reason: "GitHub answered 502 to POST /repos/octo/widgets/issues/12/comments: Bad Gateway",
    });
    expect(failureOf(githubError(429, "Too Many Requests")).kind).toBe("transient");
    expect(failureOf(githubError(403, "Forbidden", { "retry-after": "60" })).kind).toBe("transient");
    expect(failureOf(githubError(403, "Resource not accessible by integration")).kind).toBe("permanent");
    expect(failureOf(githubError(404, "Not Found"))).toEqual({
      kind: "permanent",
      reason: "GitHub answered 404 to POST /repos/octo/widgets/issues/12/comments: Not Found",
    });
    expect(failureOf(githubError(422, "Validation Failed")).kind).toBe("permanent");
  });

  it("makes an error without an answer (the network) transient", () => {
    expect(failureOf(new Error("getaddrinfo ENOTFOUND api.github.com"))).toEqual({ kind: "transient", reason: "getaddrinfo ENOTFOUND api.github.com" });
  });
});

describe("SeenIds", () => {
  it("is true the first time an id is seen within the window, and again after it", () => {
    const seen = new SeenIds(1_000);
    expect(seen.add("delivery:1", 0)).toBe(true);
    expect(seen.add("delivery:1", 999)).toBe(false);
    expect(seen.add("delivery:2", 999)).toBe(true);
    expect(seen.add("delivery:1", 1_000)).toBe(true);
    expect(seen.add("delivery:1", 1_500)).toBe(false);
  });

  it("forgets the oldest ids first when it holds more than max", () => {
    const seen = new SeenIds(60_000, 10);
    for (let i = 0; i < 11; i++) expect(seen.add(`id-${i}`, i)).toBe(true);
    // Down to 90% of max: the two oldest went.
    expect(seen.add("id-10", 20)).toBe(false);
    expect(seen.add("id-2", 20)).toBe(false);
    expect(seen.add("id-0", 20)).toBe(true);
  });

  it("counts an id seen again after its window as new, so it is not forgotten before younger ones", () => {
    const seen = new SeenIds(100, 10);
    seen.add("a", 0);
    for (let i = 1; i < 10; i++) seen.add(`id-${i}`, i);
    // "a" expired, is seen again, and is now the youngest.
    expect(seen.add("a", 200)).toBe(true);
    seen.add("b", 201);
    expect(seen.add("a", 202)).toBe(false);
  });
});

describe("MemoryInbox", () => {
  const made: MemoryInbox[] = [];
  const inbox = (options: ConstructorParameters<typeof MemoryInbox>[0] = {}) => {
    const created = new MemoryInbox(options);
    made.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(made.splice(0).map((i) => i.close({ graceMs: 10 })));
  });
  const quick: RetryPolicy = { attempts: 3, baseMs: 10, capMs: 100 };

  it("handles events with the configured concurrency", async () => {
    const a = inbox({ concurrency: 2 });
    let release = () => {};
    const opened = new Promise<void>((resolve) => (release = resolve));
    let running = 0;
    let most = 0;
    const handled: string[] = [];
    await a.start(async (e) => {
      running++;
      most = Math.max(most, running);
      await opened;
      handled.push(e.id);
      running--;
    }, deadLog().handler);
    for (let i = 0; i < 5; i++) await a.push(event(`delivery:${i}`));
    await until(() => running === 2, "two events run");
    await sleep(20);
    expect(running).toBe(2);
    release();
    await a.idle();
    expect(most).toBe(2);
    expect(handled.sort()).toEqual(["delivery:0", "delivery:1", "delivery:2", "delivery:3", "delivery:4"]);
  });

  it("handles an event pushed twice with one id once, also after it ran", async () => {
    const a = inbox();
    const handled: string[] = [];
    await a.start(async (e) => void handled.push(e.id), deadLog().handler);
    await a.push(event("delivery:1"));
    await a.push(event("delivery:1"));
    await a.idle();
    await a.push(event("delivery:1"));
    await a.idle();
    expect(handled).toEqual(["delivery:1"]);
  });

  it("holds a delayed event as a timer, busy until it ran", async () => {
    const a = inbox();
    const handledAt: number[] = [];
    await a.start(async () => void handledAt.push(Date.now()), deadLog().handler);
    const before = Date.now();
    await a.push(event("timer:1"), { delayMs: 60 });
    expect(a.busy).toBe(true);
    await a.idle();
    expect(a.busy).toBe(false);
    expect((handledAt[0] as number) - before).toBeGreaterThanOrEqual(55);
  });

  it("keeps events pushed before start until it starts", async () => {
    const a = inbox();
    await a.push(event("delivery:early"));
    expect(a.busy).toBe(true);
    const handled: string[] = [];
    await a.start(async (e) => void handled.push(e.id), deadLog().handler);
    await a.idle();
    expect(handled).toEqual(["delivery:early"]);
  });

  it("retries a transient failure with increasing attempts, then reports it dead once", async () => {
    const logs: string[] = [];
    const a = inbox({ retry: quick, log: (message) => logs.push(message) });
    const dead = deadLog();
    const attempts: number[] = [];
    await a.start(async (_e, attempt) => {
      attempts.push(attempt);
      throw new Error("ECONNRESET");
    }, dead.handler);
    await a.push(event("delivery:2"));
    await a.idle();
    expect(attempts).toEqual([1, 2, 3]);
    expect(dead.calls).toEqual([{ id: "delivery:2", failure: { kind: "transient", reason: "ECONNRESET" }, attempts: 3 }]);
    expect(logs.filter((m) => m === "event failed; trying again")).toHaveLength(2);
  });

  it("reports a permanent failure dead at once", async () => {
    const a = inbox({ retry: quick });
    const dead = deadLog();
    let calls = 0;
    await a.start(async () => {
      calls++;
      throw githubError(404, "Not Found");
    }, dead.handler);
    await a.push(event("delivery:3"));
    await a.idle();
    expect(calls).toBe(1);
    expect(dead.calls).toHaveLength(1);
    expect(dead.calls[0]?.failure.kind).toBe("permanent");
    expect(dead.calls[0]?.attempts).toBe(1);
  });

  it("tries an event again after LockBusy without spending an attempt", async () => {
    const a = inbox({ retry: { attempts: 2, baseMs: 10, capMs: 100 } });
    const dead = deadLog();
    const attempts: number[] = [];
    await a.start(async (_e, attempt) => {
      attempts.push(attempt);
      if (attempts.length <= 2) throw new LockBusy("octo/widgets#1", 10);
      if (attempts.length === 3) throw new Error("ECONNRESET");
    }, dead.handler);
    await a.push(event("delivery:4"));
    await a.idle();
    expect(attempts).toEqual([1, 1, 1, 2]);
    expect(dead.calls).toEqual([]);
  });

  it("logs an onDead that throws instead of failing", async () => {
    const logs: string[] = [];
    const a = inbox({ log: (message) => logs.push(message) });
    await a.start(
      async () => {
        throw new PermanentFailure("bad");
      },
      async () => {
        throw new Error("GitHub is down");
      },
    );
    await a.push(event("delivery:5"));
    await a.idle();
    expect(logs).toContain("could not report an event given up on");
  });

  it("on close, waits for running handlers, drops what waits (saying so), and refuses pushes", async () => {
    const logs: Array<[string, Record<string, unknown>]> = [];
    const a = inbox({ concurrency: 1, log: (message, fields) => logs.push([message, fields]) });
    let release = () => {};
    const opened = new Promise<void>((resolve) => (release = resolve));
    const handled: string[] = [];
    await a.start(async (e) => {
      await opened;
      handled.push(e.id);
    }, deadLog().handler);
    await a.push(event("delivery:6"));
    await a.push(event("delivery:7"));
    await a.push(event("timer:8"), { delayMs: 10_000 });
    let closed = false;
    const closing = a.close({ graceMs: 5_000 }).then(() => (closed = true));
    await sleep(30);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(handled).toEqual(["delivery:6"]);
    expect(a.busy).toBe(false);
    expect(logs.find(([m]) => m.startsWith("inbox closed with events still waiting"))?.[1]).toEqual({ events: ["delivery:7"] });
    await expect(a.push(event("delivery:9"))).rejects.toThrow(/closed/);
  });

  it("stops waiting for a handler after the grace", async () => {
    const a = inbox();
    let started = false;
    await a.start(async () => {
      started = true;
      await new Promise<never>(() => {});
    }, deadLog().handler);
    await a.push(event("delivery:10"));
    await until(() => started, "the handler starts");
    const before = Date.now();
    await a.close({ graceMs: 50 });
    expect(Date.now() - before).toBeGreaterThanOrEqual(45);
    expect(Date.now() - before).toBeLessThan(1_000);
  });

  it("is idle at once with nothing to do", async () => {
    const a = inbox();
    expect(a.kind).toBe("memory");
    expect(a.busy).toBe(false);
    await a.idle();
  });
});
