import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { MemoryQueue, type CellJob, type DeadJobHandler, type JobQueue } from "../../src/cells/queue.js";
import { createQueue } from "../../src/cells/queues.js";
import { RedisQueue, type RedisQueueOptions } from "../../src/cells/redis-queue.js";
import { DEFAULT_CONFIG } from "../../src/config/schema.js";
import { hasRedisServer, startRedis, type RunningRedis } from "../support/redis.js";

const HAVE_REDIS = hasRedisServer();
if (!HAVE_REDIS && process.env.CI) {
  throw new Error("redis-server is not on PATH, and CI must run the RedisQueue tests: install it (.ci/run does: apt-get install -y redis-server)");
}
if (!HAVE_REDIS) console.warn("Skipping the RedisQueue tests: redis-server is not on PATH (apt-get install -y redis-server).");

const WORKER_FIXTURE = fileURLToPath(new URL("../fixtures/redis-queue-worker.ts", import.meta.url));

function cellJob(id: string): CellJob {
  return { id, cell: "builder", installationId: 1, owner: "octo", repo: "widgets", issue: 12, config: DEFAULT_CONFIG };
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

/** Resolves when the gate opens; rejects when the job is aborted (so a failed test's queue still closes). */
function held(opened: Promise<void>, signal: AbortSignal): Promise<void> {
  return Promise.race([opened, new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => reject(new Error("aborted"))))]);
}

/** An onDead that records its calls, taking a moment as a real one (a comment on GitHub) would. */
function deadLog(): { calls: Array<[string, string]>; handler: DeadJobHandler } {
  const calls: Array<[string, string]> = [];
  return {
    calls,
    handler: async (job, reason) => {
      await sleep(50);
      calls.push([job.id, reason]);
    },
  };
}

/**
 * The JobQueue contract, run against every implementation. `make` builds a queue
 * with the given concurrency; the suite closes every queue it made after each test.
 */
function queueContract(make: (concurrency: number) => JobQueue): void {
  const made: JobQueue[] = [];
  const queue = (concurrency: number) => {
    const q = make(concurrency);
    made.push(q);
    return q;
  };
  afterEach(async () => {
    await Promise.all(made.splice(0).map((q) => q.close()));
  });

  it("runs jobs with the configured concurrency", async () => {
    const q = queue(2);
    const release = gate();
    const ran: string[] = [];
    let running = 0;
    let most = 0;
    await q.start(async (job, signal) => {
      running++;
      most = Math.max(most, running);
      ran.push(job.id);
      await held(release.opened, signal);
      running--;
    }, deadLog().handler);
    const ids = ["build-1-a", "build-2-b", "build-3-c", "build-4-d", "build-5-e"];
    for (const id of ids) await q.add(cellJob(id));
    await until(() => running >= 2, "two jobs run");
    // Time for a third job to start if the limit leaked.
    await sleep(150);
    expect(running).toBe(2);
    release.open();
    await q.idle();
    expect(ran.sort()).toEqual(ids);
    expect(most).toBe(2);
  });

  it("runs a job added twice with one id once, also when re-added after it finished", async () => {
    const q = queue(2);
    let calls = 0;
    await q.start(async () => void calls++, deadLog().handler);
    await q.add(cellJob("build-12-abcdef0123456789"));
    await q.add(cellJob("build-12-abcdef0123456789"));
    await q.idle();
    await q.add(cellJob("build-12-abcdef0123456789"));
    await q.idle();
    expect(calls).toBe(1);
  });

  it("retries a job whose worker rejected once, and reports nothing dead when the retry succeeds", async () => {
    const q = queue(1);
    const dead = deadLog();
    let calls = 0;
    await q.start(async () => {
      calls++;
      if (calls === 1) throw new Error("clone failed");
    }, dead.handler);
    await q.add(cellJob("build-7-retry"));
    await q.idle();
    await sleep(100);
    expect(calls).toBe(2);
    expect(dead.calls).toEqual([]);
  });

  it("hands a checkpoint the first attempt saved to the retry: a step it cannot take back is not taken twice", async () => {
    const q = queue(1);
    const dead = deadLog();
    const seen: Array<Record<string, unknown> | undefined> = [];
    await q.start(async (job, _signal, save) => {
      seen.push(job.checkpoint);
      if (seen.length === 1) {
        await save({ pushed: { headSha: "abc123" } });
        throw new Error("could not hand the result on");
      }
    }, dead.handler);
    await q.add(cellJob("build-7-checkpoint"));
    await q.idle();
    await sleep(100);
    expect(seen).toEqual([undefined, { pushed: { headSha: "abc123" } }]);
    expect(dead.calls).toEqual([]);
  });

  it("reports a job whose worker rejected twice dead, once, with the reason", async () => {
    const q = queue(1);
    const dead = deadLog();
    let calls = 0;
    await q.start(async () => {
      calls++;
      throw new Error(`harness crashed (${calls})`);
    }, dead.handler);
    await q.add(cellJob("build-8-dead"));
    await q.idle();
    // idle() waits for the report, not just for the job.
    expect(dead.calls).toHaveLength(1);
    // Time for a second report to arrive if the guard leaked (the Redis queue also hears of failures by event).
    await sleep(200);
    expect(calls).toBe(2);
    expect(dead.calls).toEqual([["build-8-dead", "harness crashed (2)"]]);
  });

  it("removes a waiting job on cancel, so it never runs", async () => {
    const q = queue(1);
    const dead = deadLog();
    const release = gate();
    const ran: string[] = [];
    await q.start(async (job, signal) => {
      ran.push(job.id);
      await held(release.opened, signal);
    }, dead.handler);
    await q.add(cellJob("build-1-running"));
    await until(() => ran.length === 1, "the first job runs");
    await q.add(cellJob("build-2-waiting"));
    await q.cancel("build-2-waiting");
    release.open();
    await q.idle();
    expect(ran).toEqual(["build-1-running"]);
    expect(dead.calls).toEqual([]);
  });

  it("aborts a running job's signal on cancel, and neither retries it nor reports it dead", async () => {
    const q = queue(1);
    const dead = deadLog();
    const seen: boolean[] = [];
    let calls = 0;
    const running = gate();
    await q.start(async (_job, signal) => {
      calls++;
      running.open();
      await new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => {
        seen.push(signal.aborted);
        reject(new Error("killed by cancel"));
      }));
    }, dead.handler);
    await q.add(cellJob("build-3-cancel"));
    await running.opened;
    await q.cancel("build-3-cancel");
    await q.idle();
    await sleep(200);
    expect(seen).toEqual([true]);
    expect(calls).toBe(1);
    expect(dead.calls).toEqual([]);
  });

  it("resolves idle() once every job has run, and is not busy then", async () => {
    const q = queue(2);
    await q.idle();
    expect(q.busy).toBe(false);
    const done: string[] = [];
    await q.start(async (job) => {
      await sleep(20);
      done.push(job.id);
    }, deadLog().handler);
    for (const id of ["build-1-x", "build-2-y", "build-3-z"]) await q.add(cellJob(id));
    expect(q.busy).toBe(true);
    await q.idle();
    expect(done.sort()).toEqual(["build-1-x", "build-2-y", "build-3-z"]);
    expect(q.busy).toBe(false);
  });
}

describe("MemoryQueue", () => {
  queueContract((concurrency) => new MemoryQueue(concurrency));

  it("is what createQueue returns without REDIS_URL", async () => {
    const queue = createQueue({ FACTORY_WORKERS: "3" }, pino({ level: "silent" }));
    expect(queue).toBeInstanceOf(MemoryQueue);
    await queue.close();
  });
});

describe.skipIf(!HAVE_REDIS)("RedisQueue", () => {
  let redis: RunningRedis;
  let names = 0;
  const freshName = () => `cells-${process.pid}-${++names}`;
  const made: RedisQueue[] = [];
  const children: ChildProcess[] = [];
  let dir: string;

  beforeAll(async () => {
    redis = await startRedis();
    dir = mkdtempSync(join(tmpdir(), "redis-queue-test-"));
  });
  afterAll(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill("SIGKILL");
    await Promise.all(made.splice(0).map((q) => q.close()));
  });

  const redisQueue = (options: Omit<RedisQueueOptions, "url">) => {
    const q = new RedisQueue({ url: redis.url, ...options });
    made.push(q);
    return q;
  };

  it("is what createQueue returns with REDIS_URL", async () => {
    const queue = createQueue({ REDIS_URL: redis.url }, pino({ level: "silent" }));
    expect(queue).toBeInstanceOf(RedisQueue);
    expect(queue.kind).toBe("redis");
    await queue.close();
  });

  describe("the JobQueue contract", () => {
    queueContract((concurrency) => new RedisQueue({ url: redis.url, name: freshName(), concurrency }));
  });

  it("shares one queue's jobs between two processes, and cancels a job where it runs", async () => {
    const name = freshName();
    const a = redisQueue({ name, concurrency: 1 });
    const b = redisQueue({ name, concurrency: 1 });
    const ranOn: Record<string, string> = {};
    const aborted: string[] = [];
    const dead = deadLog();
    const worker = (who: string) => async (job: CellJob, signal: AbortSignal) => {
      ranOn[job.id] = who;
      await new Promise<void>((_resolve, reject) => signal.addEventListener("abort", () => {
        aborted.push(`${job.id}@${who}`);
        reject(new Error("cancelled"));
      }));
    };
    await a.start(worker("a"), dead.handler);
    await b.start(worker("b"), dead.handler);
    await a.add(cellJob("build-1-one"));
    await a.add(cellJob("build-2-two"));
    await until(() => Object.keys(ranOn).length === 2, "both jobs run");
    // Each process runs one at a time, so each holds one of the two.
    expect(Object.values(ranOn).sort()).toEqual(["a", "b"]);
    const onB = Object.keys(ranOn).find((id) => ranOn[id] === "b") as string;
    const onA = Object.keys(ranOn).find((id) => ranOn[id] === "a") as string;
    await a.cancel(onB);
    await b.cancel(onA);
    await a.idle();
    await b.idle();
    expect(aborted.sort()).toEqual([`${onA}@a`, `${onB}@b`].sort());
    expect(dead.calls).toEqual([]);
  });

  it("puts a job running when its process closes back in the queue without spending an attempt", async () => {
    const name = freshName();
    const closing = redisQueue({ name, concurrency: 1 });
    const running = gate();
    await closing.start(async (_job, signal) => {
      running.open();
      await held(new Promise<void>(() => {}), signal);
    }, deadLog().handler);
    await closing.add(cellJob("build-4-restart"));
    await running.opened;
    await closing.close();

    const dead = deadLog();
    let calls = 0;
    const next = redisQueue({ name, concurrency: 1 });
    await next.start(async () => {
      calls++;
      if (calls === 1) throw new Error("flaky clone");
    }, dead.handler);
    await next.idle();
    // Had the shutdown spent the first attempt, this rejection would have been the last.
    expect(calls).toBe(2);
    expect(dead.calls).toEqual([]);
  });

  /** Starts the fixture worker process; resolves once it has started `count` jobs in all (per the marker file). */
  const workerProcess = (name: string, marker: string) => {
    const child = spawn(process.execPath, ["--import", "tsx", WORKER_FIXTURE, redis.url, name, marker], { stdio: ["pipe", "ignore", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return {
      async startedJobs(count: number) {
        await until(() => started(marker).length >= count || child.exitCode !== null, `the worker process starts job ${count}`, 15_000);
        if (started(marker).length < count) throw new Error(`the worker process exited: ${stderr}`);
      },
      async kill() {
        child.kill("SIGKILL");
        await exited;
      },
    };
  };
  const started = (marker: string) => (existsSync(marker) ? readFileSync(marker, "utf8").split("\n").filter(Boolean) : []);
  const fast = { lockDuration: 1000, stalledInterval: 500 };

  it("picks a job up again in another process when the process running it is killed mid-job", async () => {
    const name = freshName();
    const marker = join(dir, `${name}.started`);
    const q = redisQueue({ name, concurrency: 1, ...fast });
    await q.add(cellJob("build-12-abcdef0123456789"));
    const child = workerProcess(name, marker);
    await child.startedJobs(1);
    await child.kill();

    const ran: string[] = [];
    const dead = deadLog();
    await q.start(async (job) => void ran.push(job.id), dead.handler);
    await until(() => ran.length === 1, "the job runs again here");
    await q.idle();
    expect(started(marker)).toEqual(["build-12-abcdef0123456789"]);
    expect(ran).toEqual(["build-12-abcdef0123456789"]);
    expect(dead.calls).toEqual([]);
  });

  it("reports a job whose process died twice dead exactly once across processes, without running it a third time", async () => {
    const name = freshName();
    const marker = join(dir, `${name}.started`);
    const id = "build-13-0123456789abcdef";
    const producer = redisQueue({ name });
    await producer.add(cellJob(id));
    const first = workerProcess(name, marker);
    await first.startedJobs(1);
    await first.kill();
    const second = workerProcess(name, marker);
    await second.startedJobs(2);
    await second.kill();

    const dead = deadLog();
    let ran = 0;
    const t = redisQueue({ name, ...fast });
    const u = redisQueue({ name, ...fast });
    await t.start(async () => void ran++, dead.handler);
    await u.start(async () => void ran++, dead.handler);
    await until(() => dead.calls.length > 0, "the job is reported dead");
    await t.idle();
    await u.idle();
    // Time for a second report to arrive if the guard leaked.
    await sleep(300);
    expect(started(marker)).toEqual([id, id]);
    expect(ran).toBe(0);
    expect(dead.calls).toEqual([[id, "job stalled more than allowable limit"]]);
  }, 40_000);
});
