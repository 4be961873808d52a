import { setTimeout as sleep } from "node:timers/promises";
import { DelayedError, Job, Queue, UnrecoverableError, WaitingError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { DEFAULT_RETRY, backoffMs, failureOf, type DeadEventHandler, type EventHandler, type Failure, type Inbox, type RetryPolicy } from "./inbox.js";
import { parseEvent, type LineEvent } from "./line-event.js";

export interface RedisInboxOptions {
  /** `REDIS_URL`; it may hold a password, so it is never logged. */
  url: string;
  /** The BullMQ queue name; every process sharing the line uses the same one. */
  name?: string | undefined;
  /** Events this process handles at once. */
  concurrency?: number | undefined;
  /** Attempts and backoff for transient failures. The attempts of an event are fixed when it is pushed. */
  retry?: RetryPolicy | undefined;
  /** How long a running event's lock lives without renewal; BullMQ renews it at half this while the handler runs. */
  lockDuration?: number | undefined;
  /** How often this process looks for events whose lock expired (their process died) and puts them back. */
  stalledInterval?: number | undefined;
  /** How many times an event may lose its process and be taken again; the next loss reports it dead. */
  maxStalledCount?: number | undefined;
  log?: ((message: string, fields: Record<string, unknown>) => void) | undefined;
}

const DAY_SECONDS = 24 * 60 * 60;
const IDLE_POLL_MS = 50;
/** The backoff type stored with every job; the worker's strategy computes it with `backoffMs`. */
const BACKOFF_TYPE = "factory";
/** The failed reason of a job whose data does not parse: logged where it is found, never reported dead. */
const UNPARSEABLE = "the event does not parse";
/** What BullMQ says of a job whose process died more often than `maxStalledCount` allows. */
const STALLED_REASON = "job stalled more than allowable limit";

/**
 * The BullMQ job id of an event id. Custom ids may not contain ':' and may not be
 * integers, so ':' (and '%', to keep the mapping one-to-one) are percent-encoded and
 * every id gets an `e-` prefix: `delivery:1234` → `e-delivery%3A1234`.
 */
export function jobIdOf(eventId: string): string {
  return `e-${eventId.replaceAll("%", "%25").replaceAll(":", "%3A")}`;
}

/**
 * Jobs waiting, active, prioritized, or delayed and falling due within `horizonMs`.
 * One count of all four (a job moving from delayed to waiting between two counts
 * would be seen in neither), less the delayed ones due later.
 */
export async function workWithin(queue: Queue, horizonMs: number): Promise<number> {
  const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
  const all = Object.values(counts).reduce((sum, n) => sum + n, 0);
  if (horizonMs === Infinity || !counts.delayed) return all;
  const limit = Date.now() + horizonMs;
  const later = (await queue.getDelayed()).filter((job) => job.timestamp + (job.delay ?? 0) > limit).length;
  return all - later;
}

/** A transient failure with attempts left: BullMQ retries it after `backoffMs`. */
class TryAgain extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = "TryAgain";
  }
}

/**
 * The shared inbox: BullMQ on Redis, so a pushed event outlives the process that
 * acknowledged its webhook, and any process sharing the line handles it.
 *
 * - Duplicates: the event id (see `jobIdOf`) is the job id, and BullMQ ignores an
 *   add whose id it holds: waiting, delayed, active, completed (kept a day) or
 *   failed (kept a week).
 * - Attempts: BullMQ's own counter (`attemptsMade`, kept in Redis and raised in the
 *   same script that schedules the retry), so the attempt passed to the handler is
 *   right whichever process runs it. A transient failure with attempts left is
 *   retried after `backoffMs`; `LockBusy` moves the job back to delayed without
 *   spending one; a permanent failure or the last attempt reports it dead.
 * - A process that dies mid-event: its lock lapses after `lockDuration`, and a
 *   stalled check (every `stalledInterval`, in any process) puts the event back, its
 *   attempt not spent. An event that loses its process more than `maxStalledCount`
 *   times fails, and is reported dead from the QueueEvents "failed" stream.
 * - `onDead` runs once per event across all processes, guarded by a `SET NX` key.
 */
export class RedisInbox implements Inbox {
  readonly kind = "redis" as const;
  private readonly url: string;
  private readonly name: string;
  private readonly concurrency: number;
  private readonly retry: RetryPolicy;
  private readonly lockDuration: number;
  private readonly stalledInterval: number;
  private readonly maxStalledCount: number;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;
  private readonly queue: Queue<LineEvent, void, string>;
  /** The dead-report guard keys; a connection of our own, as BullMQ's speaks only its own commands. */
  private readonly redis: Redis;
  private worker: Worker<LineEvent, void, string> | undefined;
  private handle: EventHandler | undefined;
  private onDead: DeadEventHandler | undefined;
  /** Handlers running in this process. */
  private running = 0;
  private readonly whenNoneRunning: Array<() => void> = [];
  private readonly reporting = new Set<Promise<void>>();
  /** Jobs waiting, delayed, prioritized or active anywhere, as last counted (a push counts until the next count). */
  private queued = 0;
  /** Set by `close`: no new events are taken (one taken as it closes goes straight back). */
  private stopping = false;
  /** Set once the queue closes: pushes fail after this (during the grace they still go to Redis). */
  private queueClosed = false;
  private closing: Promise<void> | undefined;

  constructor(options: RedisInboxOptions) {
    this.url = options.url;
    this.name = options.name ?? "factory-events";
    this.concurrency = options.concurrency ?? 16;
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.lockDuration = options.lockDuration ?? 10_000;
    this.stalledInterval = options.stalledInterval ?? 5_000;
    this.maxStalledCount = options.maxStalledCount ?? 2;
    this.log = options.log ?? (() => {});
    // Pushes arrive in bursts (a webhook each): ioredis sends those of one tick in one write.
    this.queue = new Queue(this.name, { connection: { url: this.url, enableAutoPipelining: true } });
    this.queue.on("error", (error) => this.log("redis inbox queue error", { err: error.message }));
    this.redis = new Redis(this.url);
    this.redis.on("error", (error: Error) => this.log("redis inbox connection error", { err: error.message }));
  }

  private deadKey(jobId: string): string {
    return `factory:${this.name}:dead:${jobId}`;
  }

  async start(handle: EventHandler, onDead: DeadEventHandler): Promise<void> {
    if (this.closing) throw new Error("the inbox is closed");
    if (this.worker) throw new Error("the inbox has already started");
    this.handle = handle;
    this.onDead = onDead;

    const policy = this.retry;
    this.worker = new Worker<LineEvent, void, string>(this.name, (job, token) => this.process(job, token), {
      connection: { url: this.url },
      concurrency: this.concurrency,
      lockDuration: this.lockDuration,
      stalledInterval: this.stalledInterval,
      maxStalledCount: this.maxStalledCount,
      // `attemptsMade` here is the attempt that just failed.
      settings: { backoffStrategy: (attemptsMade: number) => backoffMs(policy, attemptsMade) },
    });
    this.worker.on("error", (error) => this.log("redis inbox worker error", { err: error.message }));
    // An event failed for stalling too often: BullMQ fails it as a worker takes it (no handler runs
    // for it), and that worker reports it. The guard keeps the report to one. (Not QueueEvents: reading every event of the stream in every process costs the
    // webhook path more than it is worth.)
    this.worker.on("failed", (job) => {
      // Other failures are the handler's, reported as it gives up (the worker hears of each attempt's).
      if (job?.id && job.failedReason === STALLED_REASON) this.track(this.reportFailed(job.id, job.failedReason));
    });
    await this.worker.waitUntilReady();
  }

  async push(event: LineEvent, options: { delayMs?: number } = {}): Promise<void> {
    if (this.queueClosed) throw new Error("the inbox is closed");
    const delay = Math.max(0, Math.round(options.delayMs ?? 0));
    this.queued += 1;
    // Resolves once Redis holds the job: the webhook may be acknowledged after this.
    await this.queue.add(event.kind, event, {
      jobId: jobIdOf(event.id),
      ...(delay > 0 ? { delay } : {}),
      attempts: Math.max(1, this.retry.attempts),
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: { age: DAY_SECONDS },
      removeOnFail: { age: 7 * DAY_SECONDS },
    });
  }

  /**
   * Whether events are waiting, delayed, prioritized or being handled anywhere on
   * this queue (as last counted by `idle`), or handled or reported in this process.
   */
  get busy(): boolean {
    return this.queued > 0 || this.running > 0 || this.reporting.size > 0;
  }

  /**
   * Resolves when no event of this queue is waiting, prioritized or active in Redis
   * (any process's), none delayed falls due within `horizonMs` (default: any delayed
   * one counts, timers included), and nothing runs here. After `close`, only this
   * process's handlers count.
   */
  async idle(options: { horizonMs?: number } = {}): Promise<void> {
    for (;;) {
      if (this.queueClosed) {
        this.queued = 0;
      } else {
        this.queued = await workWithin(this.queue, options.horizonMs ?? Infinity);
      }
      if (!this.busy) return;
      await sleep(IDLE_POLL_MS);
    }
  }

  /**
   * Stops taking events, waits up to `graceMs` (10 s) for the handlers running here,
   * then closes. A handler still running after the grace is left to finish or not
   * with the process: its job's lock is no longer renewed, so another process takes
   * the event as stalled (which counts toward `maxStalledCount`). Idempotent.
   */
  close(options: { graceMs?: number } = {}): Promise<void> {
    this.closing ??= this.stop(options).then(() => this.shutDown());
    return this.closing;
  }

  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopped ??= this.stopTaking(options.graceMs ?? 10_000);
    return this.stopped;
  }

  private stopped: Promise<void> | undefined;

  private async stopTaking(graceMs: number): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (worker) {
      // Takes no new job; one taken as this runs is handed back by `process`.
      await worker.pause(true).catch((error: unknown) => this.log("could not pause the redis inbox worker", { err: (error as Error).message }));
      if (await this.noneRunning(graceMs)) {
        await worker.close();
      } else {
        this.log("inbox closed with events still being handled; another process takes them once their locks lapse", { running: this.running });
        await worker.close(true);
      }
    }
    await Promise.all([...this.reporting]);
  }

  private async shutDown(): Promise<void> {
    this.queueClosed = true;
    await this.queue.close();
    if (this.redis.status === "ready") await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }

  /** Resolves true once no handler runs here, or false after `ms`. */
  private async noneRunning(ms: number): Promise<boolean> {
    if (this.running === 0) return true;
    const none = new Promise<boolean>((resolve) => this.whenNoneRunning.push(() => resolve(true)));
    return Promise.race([none, sleep(ms, false, { ref: false })]);
  }

  private async process(job: Job<LineEvent, void, string>, token: string | undefined): Promise<void> {
    if (this.stopping) {
      // Taken as the inbox closed: back to the queue at once, nothing spent.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    this.running += 1;
    try {
      await this.handleJob(job, token);
    } finally {
      this.running -= 1;
      if (this.running === 0) for (const resolve of this.whenNoneRunning.splice(0)) resolve();
    }
  }

  private async handleJob(job: Job<LineEvent, void, string>, token: string | undefined): Promise<void> {
    const jobId = job.id ?? "";
    const parsed = parseEvent(job.data as unknown);
    if (!parsed.ok) {
      this.log("dropped an event that does not parse", { job: jobId, problem: parsed.problem });
      throw new UnrecoverableError(`${UNPARSEABLE}: ${parsed.problem}`);
    }
    const event = parsed.event;
    const attempt = job.attemptsMade + 1;
    try {
      await (this.handle as EventHandler)(event, attempt);
      return;
    } catch (error) {
      const failure = failureOf(error);
      if (failure.kind === "later") {
        // Not a failure: back to delayed without spending an attempt.
        await job.moveToDelayed(Date.now() + Math.max(0, failure.delayMs), token);
        throw new DelayedError();
      }
      // The attempts fixed at push time, which are the ones BullMQ counts against.
      const attempts = job.opts.attempts ?? 1;
      if (failure.kind === "transient" && attempt < attempts) {
        this.log("event failed; trying again", { event: event.id, kind: event.kind, attempt, reason: failure.reason });
        throw new TryAgain(failure.reason);
      }
      // Reported while the job is still active, so idle() waits for the report.
      await this.reportDead(jobId, event, failure, attempt);
      throw new UnrecoverableError(failure.reason);
    }
  }

  private async reportFailed(jobId: string, failedReason: string): Promise<void> {
    if (failedReason.startsWith(UNPARSEABLE)) return;
    const job = await Job.fromId<LineEvent, void, string>(this.queue, jobId);
    if (!job) {
      this.log("a failed event is gone before it was reported", { job: jobId, reason: failedReason });
      return;
    }
    const parsed = parseEvent(job.data as unknown);
    if (!parsed.ok) {
      this.log("a failed event does not parse, so it cannot be reported", { job: jobId, problem: parsed.problem });
      return;
    }
    const reason =
      failedReason === STALLED_REASON ? `the process handling it stopped ${this.maxStalledCount + 1} times before it was done` : failedReason;
    await this.reportDead(jobId, parsed.event, { kind: "transient", reason }, Math.max(1, job.attemptsMade));
  }

  /** Calls onDead unless a process (this one or another) already has for this job. */
  private async reportDead(jobId: string, event: LineEvent, failure: Failure, attempts: number): Promise<void> {
    const claimed = await this.redis.set(this.deadKey(jobId), "1", "EX", 7 * DAY_SECONDS, "NX");
    if (claimed !== "OK") return;
    this.log("gave up on an event", { event: event.id, kind: event.kind, attempts, reason: failure.reason });
    try {
      await this.onDead?.(event, failure, attempts);
    } catch (error) {
      this.log("could not report an event given up on", { event: event.id, err: (error as Error).message });
      // Another process that hears of the failure may report it instead.
      await this.redis.del(this.deadKey(jobId)).catch(() => undefined);
    }
  }

  private track(report: Promise<void>): void {
    const settled = report.catch((error: unknown) => this.log("could not report a failed event", { err: (error as Error).message }));
    this.reporting.add(settled);
    void settled.finally(() => this.reporting.delete(settled));
  }
}
