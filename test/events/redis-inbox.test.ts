import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { Queue } from "bullmq";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PermanentFailure } from "../../src/line/failures.js";
import type { DeadEventHandler, Failure, RetryPolicy } from "../../src/events/inbox.js";
import { lineEvent, type LineEvent } from "../../src/events/line-event.js";
import { LockBusy } from "../../src/events/locks.js";
import { RedisInbox, jobIdOf, type RedisInboxOptions } from "../../src/events/redis-inbox.js";
import { startRedis, type RunningRedis } from "../support/redis.js";

const WORKER_FIXTURE = fileURLToPath(new URL("../fixtures/redis-inbox-worker.ts", import.meta.url));

function event(id: string): LineEvent {
  return lineEvent("ledger", { id, installationId: 1, owner: "octo", repo: "widgets", target: { ledger: true }, what: "test", data: {} });
}

/** Polls until `check` holds; fails with `what` after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

function gate(): { open: () => void; opened: Promise<void> } {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

/** An onDead that records its calls, taking a moment as a real one (a comment on GitHub) would. */
function deadLog(): { calls: Array<{ id: string; failure: Failure; attempts: number }>; handler: DeadEventHandler } {
  const calls: Array<{ id: string; failure: Failure; attempts: number }> = [];
  return {
    calls,
    handler: async (e, failure, attempts) => {
      await sleep(50);
      calls.push({ id: e.id, failure, attempts });
    },
  };
}

/** A transient failure as failureOf sees it: an error without an HTTP status (the network). */
const networkError = () => new Error("connect ECONNRESET api.github.com");

describe("jobIdOf", () => {
  it("maps event ids to BullMQ ids without ':' that are never integers, one to one", () => {
    const ids = ["delivery:1", "delivery%3A1", "delivery_1", "12345", "a:b:c", "%", "%25", ":"];
    const mapped = ids.map(jobIdOf);
    for (const id of mapped) {
      expect(id).not.toContain(":");
      expect(`${parseInt(id, 10)}`).not.toBe(id);
    }
    expect(new Set(mapped).size).toBe(ids.length);
    expect(jobIdOf("delivery:1")).toBe("e-delivery%3A1");
  });
});

describe("RedisInbox", () => {
  let redis: RunningRedis;
  let names = 0;
  const freshName = () => `events-${process.pid}-${++names}`;
  const made: RedisInbox[] = [];
  const children: ChildProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), "redis-inbox-test-"));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await Promise.all(made.splice(0).map((inbox) => inbox.close({ graceMs: 100 })));
  });

  const fast = { lockDuration: 1000, stalledInterval: 500 };
  const quick: RetryPolicy = { attempts: 3, baseMs: 50, capMs: 1000 };
  const inbox = (options: Omit<RedisInboxOptions, "url">) => {
    const created = new RedisInbox({ url: redis.url, ...fast, retry: quick, ...options });
    made.push(created);
    return created;
  };

  it("handles an event pushed again with its id (waiting, running, or after it ran) once", async () => {
    const name = freshName();
    const a = inbox({ name });
    const handled: string[] = [];
    // Pushed before the worker starts, so the second push meets the first one waiting.
    await a.push(event("delivery:1"));
    await a.push(event("delivery:1"));
    await a.start(async (e) => {
      handled.push(e.id);
      // And once more while it is being handled.
      if (handled.length === 1) await a.push(event("delivery:1"));
    }, deadLog().handler);
    await a.idle();
    await a.push(event("delivery:1"));
    // Ids that map close to it, and one that looks like an integer, are events of their own.
    await a.push(event("delivery%3A1"));
    await a.push(event("12345"));
    await a.idle();
    expect(handled.sort()).toEqual(["12345", "delivery%3A1", "delivery:1"]);
  });

  it("delays an event pushed as a timer, and is busy until it ran", async () => {
    const a = inbox({ name: freshName() });
    const handledAt: number[] = [];
    await a.start(async () => void handledAt.push(Date.now()), deadLog().handler);
    const pushedAt = Date.now();
    await a.push(event("timer:1"), { delayMs: 400 });
    expect(a.busy).toBe(true);
    await sleep(100);
    // A delayed event counts: idle() does not resolve before the timer ran.
    await a.idle();
    expect(handledAt).toHaveLength(1);
    expect((handledAt[0] as number) - pushedAt).toBeGreaterThanOrEqual(390);
    expect(a.busy).toBe(false);
  });

  it("retries a transient failure with increasing attempt numbers and delays, then reports it dead once", async () => {
    const log: string[] = [];
    const a = inbox({ name: freshName(), retry: { attempts: 3, baseMs: 200, capMs: 10_000 }, log: (message) => log.push(message) });
    const dead = deadLog();
    const attempts: Array<[number, number]> = [];
    await a.start(async (_e, attempt) => {
      attempts.push([attempt, Date.now()]);
      throw networkError();
    }, dead.handler);
    await a.push(event("delivery:2"));
    await a.idle();
    // idle() waits for the report, which is made while the event is still active.
    expect(dead.calls).toHaveLength(1);
    // Time for a second report to arrive if the guard leaked (every process also hears of the failure by event).
    await sleep(300);
    expect(attempts.map(([n]) => n)).toEqual([1, 2, 3]);
    const [first, second, third] = attempts.map(([, at]) => at) as [number, number, number];
    // backoffMs: 200 then 400 ms, each ±20%.
    expect(second - first).toBeGreaterThanOrEqual(155);
    expect(third - second).toBeGreaterThanOrEqual(315);
    expect(third - second).toBeGreaterThan(second - first);
    expect(dead.calls).toEqual([{ id: "delivery:2", failure: { kind: "transient", reason: "connect ECONNRESET api.github.com" }, attempts: 3 }]);
    expect(log.filter((m) => m === "event failed; trying again")).toHaveLength(2);
  });

  it("reports nothing dead when a retry succeeds", async () => {
    const a = inbox({ name: freshName() });
    const dead = deadLog();
    const attempts: number[] = [];
    await a.start(async (_e, attempt) => {
      attempts.push(attempt);
      if (attempt === 1) throw networkError();
    }, dead.handler);
    await a.push(event("delivery:3"));
    await a.idle();
    await sleep(200);
    expect(attempts).toEqual([1, 2]);
    expect(dead.calls).toEqual([]);
  });

  it("reports a permanent failure dead once, without trying again", async () => {
    const a = inbox({ name: freshName() });
    const dead = deadLog();
    let calls = 0;
    await a.start(async () => {
      calls++;
      throw new PermanentFailure("the issue is gone");
    }, dead.handler);
    await a.push(event("delivery:4"));
    await a.idle();
    await sleep(300);
    expect(calls).toBe(1);
    expect(dead.calls).toEqual([{ id: "delivery:4", failure: { kind: "permanent", reason: "the issue is gone" }, attempts: 1 }]);
  });

  it("handles an event again after LockBusy without spending an attempt", async () => {
    // Two attempts: had either LockBusy spent one, the transient failure would be the last.
    const a = inbox({ name: freshName(), retry: { attempts: 2, baseMs: 50, capMs: 1000 } });
    const dead = deadLog();
    const attempts: number[] = [];
    await a.start(async (_e, attempt) => {
      attempts.push(attempt);
      if (attempts.length <= 2) throw new LockBusy("octo/widgets#12", 50);
      if (attempts.length === 3) throw networkError();
    }, dead.handler);
    await a.push(event("delivery:5"));
    await a.idle();
    await sleep(200);
    expect(attempts).toEqual([1, 1, 1, 2]);
    expect(dead.calls).toEqual([]);
  });

  it("logs and drops a job whose data is not an event, reporting nothing dead", async () => {
    const name = freshName();
    const logs: Array<[string, Record<string, unknown>]> = [];
    const a = inbox({ name, log: (message, fields) => logs.push([message, fields]) });
    const dead = deadLog();
    let calls = 0;
    await a.start(async () => void calls++, dead.handler);
    const raw = new Queue(name, { connection: { url: redis.url } });
    try {
      await raw.add("nope", { id: "bad:1", kind: "nope" } as never, { jobId: jobIdOf("bad:1") });
    } finally {
      await raw.close();
    }
    await until(() => logs.some(([m]) => m === "dropped an event that does not parse"), "the bad job is dropped");
    await a.idle();
    await sleep(300);
    const [, fields] = logs.find(([m]) => m === "dropped an event that does not parse") as [string, Record<string, unknown>];
    expect(fields.job).toBe("e-bad%3A1");
    expect(String(fields.problem)).toMatch(/envelope/);
    expect(calls).toBe(0);
    expect(dead.calls).toEqual([]);
  });

  it("shares events between two processes, each handled exactly once", async () => {
    const name = freshName();
    const a = inbox({ name, concurrency: 2 });
    const b = inbox({ name, concurrency: 2 });
    const handled: Array<[string, string]> = [];
    const handler = (who: string) => async (e: LineEvent) => {
      handled.push([e.id, who]);
      await sleep(40);
    };
    await a.start(handler("a"), deadLog().handler);
    await b.start(handler("b"), deadLog().handler);
    const ids = Array.from({ length: 20 }, (_, i) => `delivery:${i}`);
    for (const id of ids) await (Number(id.split(":")[1]) % 2 ? a : b).push(event(id));
    await Promise.all([a.idle(), b.idle()]);
    expect(handled.map(([id]) => id).sort()).toEqual([...ids].sort());
    expect(new Set(handled.map(([, who]) => who))).toEqual(new Set(["a", "b"]));
  });

  it("counts attempts across processes: a retry taken by another process gets the next attempt number", async () => {
    const name = freshName();
    const seen: Array<[string, number]> = [];
    const a = inbox({ name, retry: { attempts: 3, baseMs: 300, capMs: 1000 } });
    await a.start(async (_e, attempt) => {
      seen.push(["a", attempt]);
      throw networkError();
    }, deadLog().handler);
    await a.push(event("delivery:6"));
    await until(() => seen.length === 1, "the first attempt fails");
    // A graceful close waits for the failure to be recorded (the retry is delayed in Redis).
    await a.close();
    const dead = deadLog();
    const b = inbox({ name });
    await b.start(async (_e, attempt) => void seen.push(["b", attempt]), dead.handler);
    await b.idle();
    expect(seen).toEqual([
      ["a", 1],
      ["b", 2],
    ]);
    expect(dead.calls).toEqual([]);
  });

  it("waits on close for a running handler, takes nothing new, and leaves the rest to another process", async () => {
    const name = freshName();
    const a = inbox({ name, concurrency: 1 });
    const release = gate();
    const onA: string[] = [];
    let finished = false;
    await a.start(async (e) => {
      onA.push(e.id);
      await release.opened;
      await sleep(50);
      finished = true;
    }, deadLog().handler);
    for (const id of ["delivery:7", "delivery:8", "delivery:9"]) await a.push(event(id));
    await until(() => onA.length === 1, "the first event runs");
    let closed = false;
    const closing = a.close({ graceMs: 10_000 }).then(() => (closed = true));
    await sleep(300);
    expect(closed).toBe(false);
    release.open();
    await closing;
    expect(finished).toBe(true);
    expect(onA).toEqual(["delivery:7"]);
    // Closed for good: a push now fails, and closing again is the same close.
    await expect(a.push(event("delivery:10"))).rejects.toThrow(/closed/);
    await a.close();

    const onB: string[] = [];
    const b = inbox({ name });
    await b.start(async (e) => void onB.push(e.id), deadLog().handler);
    await b.idle();
    expect(onB.sort()).toEqual(["delivery:8", "delivery:9"]);
  });

  it("hands a handler still running after the grace back, and another process takes it", async () => {
    const name = freshName();
    const a = inbox({ name });
    let startedOnA = 0;
    await a.start(async () => {
      startedOnA++;
      await new Promise<never>(() => {});
    }, deadLog().handler);
    await a.push(event("delivery:11"));
    await until(() => startedOnA === 1, "the event runs");
    const before = Date.now();
    await a.close({ graceMs: 300 });
    const took = Date.now() - before;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3_000);

    const dead = deadLog();
    const onB: Array<[string, number]> = [];
    const b = inbox({ name });
    await b.start(async (e, attempt) => void onB.push([e.id, attempt]), dead.handler);
    await until(() => onB.length === 1, "another process takes the event", 15_000);
    await b.idle();
    // A lapsed lock is not a failed attempt.
    expect(onB).toEqual([["delivery:11", 1]]);
    expect(startedOnA).toBe(1);
    expect(dead.calls).toEqual([]);
  });

  /** Starts the fixture process; `lines()` reads its marker file. */
  const workerProcess = (name: string, marker: string, pushId?: string) => {
    const args = ["--import", "tsx", WORKER_FIXTURE, redis.url, name, marker, ...(pushId ? [pushId] : [])];
    const child = spawn(process.execPath, args, { stdio: ["pipe", "ignore", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
      async until(line: string, count = 1) {
        const have = () => lines(marker).filter((l) => l === line).length >= count;
        await until(() => have() || child.exitCode !== null, `the worker process writes "${line}" (${count})`, 20_000);
        if (!have()) throw new Error(`the worker process exited: ${stderr}`);
      },
      async kill() {
        child.kill("SIGKILL");
        await exited;
      },
    };
  };
  const lines = (marker: string) => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter(Boolean) : []);

  it("handles, in another process, an event whose process was killed 100 ms after acknowledging it", async () => {
    const name = freshName();
    const marker = join(dir, `${name}.marks`);
    const child = workerProcess(name, marker, "delivery:12");
    await child.until("acked delivery:12");
    await sleep(100);
    await child.kill();
    const killedAt = Date.now();

    const dead = deadLog();
    const handled: Array<[string, number]> = [];
    const a = inbox({ name });
    await a.start(async (e, attempt) => void handled.push([e.id, attempt]), dead.handler);
    await until(() => handled.length === 1, "the event is handled here", 20_000);
    await a.idle();
    await sleep(200);
    expect(handled).toEqual([["delivery:12", 1]]);
    // With the test's 1 s locks; the defaults (10 s locks, 5 s checks) take at most about 20 s.
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(dead.calls).toEqual([]);
  }, 40_000);

  it("takes an event whose process died mid-handler, at the same attempt", async () => {
    const name = freshName();
    const marker = join(dir, `${name}.marks`);
    const producer = inbox({ name });
    await producer.push(event("delivery:13"));
    const child = workerProcess(name, marker);
    await child.until("started delivery:13");
    await child.kill();

    const dead = deadLog();
    const handled: Array<[string, number]> = [];
    const a = inbox({ name });
    await a.start(async (e, attempt) => void handled.push([e.id, attempt]), dead.handler);
    await until(() => handled.length === 1, "the event is handled here", 20_000);
    await a.idle();
    expect(lines(marker)).toEqual(["started delivery:13"]);
    expect(handled).toEqual([["delivery:13", 1]]);
    expect(dead.calls).toEqual([]);
  }, 40_000);

  it("reports an event whose process died more than maxStalledCount (2) times dead exactly once, without handling it again", async () => {
    const name = freshName();
    const marker = join(dir, `${name}.marks`);
    const id = "delivery:14";
    const producer = inbox({ name });
    await producer.push(event(id));
    for (let death = 1; death <= 3; death++) {
      const child = workerProcess(name, marker);
      await child.until(`started ${id}`, death);
      await child.kill();
    }

    const dead = deadLog();
    let ran = 0;
    const t = inbox({ name });
    const u = inbox({ name });
    await t.start(async () => void ran++, dead.handler);
    await u.start(async () => void ran++, dead.handler);
    await until(() => dead.calls.length > 0, "the event is reported dead", 20_000);
    await Promise.all([t.idle(), u.idle()]);
    // Time for a second report to arrive if the guard leaked.
    await sleep(300);
    expect(lines(marker)).toEqual([`started ${id}`, `started ${id}`, `started ${id}`]);
    expect(ran).toBe(0);
    expect(dead.calls).toHaveLength(1);
    expect(dead.calls[0]?.id).toBe(id);
    expect(dead.calls[0]?.failure.kind).toBe("transient");
    expect(dead.calls[0]?.failure.reason).toMatch(/stopped 3 times/);
  }, 60_000);
});
