import { setTimeout as sleep } from "node:timers/promises";
import { Job, Queue, QueueEvents, UnrecoverableError, WaitingError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { JOB_ATTEMPTS, SHUTTING_DOWN, type CellJob, type DeadJobHandler, type JobQueue, type JobWorker } from "./queue.js";

export interface RedisQueueOptions {
  /** `REDIS_URL`; it may hold a password, so it is never logged. */
  url: string;
  /** Jobs this process runs at once. */
  concurrency?: number | undefined;
  /** The BullMQ queue name; every process sharing jobs uses the same one. */
  name?: string | undefined;
  /** How long a job's lock lives without renewal; BullMQ renews it at half this while the job runs. */
  lockDuration?: number | undefined;
  /** How often this process looks for jobs whose lock expired (their worker process died). */
  stalledInterval?: number | undefined;
  log?: ((message: string, fields: Record<string, unknown>) => void) | undefined;
}

const DAY_SECONDS = 24 * 60 * 60;
/** The failed reason of a job cancelled while it ran: neither retried nor reported dead. */
const CANCELLED = "cancelled";
const IDLE_POLL_MS = 50;

/**
 * The shared queue: BullMQ on Redis, so several processes (or machines) take jobs
 * from one queue and a job outlives the process that queued or ran it. A job whose
 * process died is taken again once by any process (`maxStalledCount: 1`); when it
 * dies again, or its worker rejects on its last attempt, `onDead` runs exactly once
 * across all processes, guarded by a `SET NX` key.
 */
export class RedisQueue implements JobQueue {
  readonly kind = "redis" as const;
  private readonly url: string;
  private readonly name: string;
  private readonly concurrency: number;
  private readonly lockDuration: number;
  private readonly stalledInterval: number;
  private readonly log: (message: string, fields: Record<string, unknown>) => void;
  private readonly queue: Queue<CellJob, void, string>;
  /** Guard keys and cancel messages; a connection of our own, as BullMQ's client speaks only its own commands. */
  private readonly redis: Redis;
  private subscriber: Redis | undefined;
  private worker: Worker<CellJob, void, string> | undefined;
  private events: QueueEvents | undefined;
  private onDead: DeadJobHandler | undefined;
  private readonly running = new Map<string, AbortController>();
  private readonly reporting = new Set<Promise<void>>();
  /** Jobs waiting, delayed or active anywhere, as last counted (an add counts until the next count). */
  private queued = 0;
  private closing: Promise<void> | undefined;

  constructor(options: RedisQueueOptions) {
    this.url = options.url;
    this.name = options.name ?? "factory-cells";
    this.concurrency = options.concurrency ?? 2;
    this.lockDuration = options.lockDuration ?? 30_000;
    this.stalledInterval = options.stalledInterval ?? 30_000;
    this.log = options.log ?? (() => {});
    this.queue = new Queue(this.name, { connection: { url: this.url } });
    this.queue.on("error", (error) => this.log("redis queue error", { err: error.message }));
    this.redis = new Redis(this.url);
    this.redis.on("error", (error: Error) => this.log("redis connection error", { err: error.message }));
  }

  private get channel(): string {
    return `factory:${this.name}:cancel`;
  }

  private deadKey(jobId: string): string {
    return `factory:${this.name}:dead:${jobId}`;
  }

  private cancelledKey(jobId: string): string {
    return `factory:${this.name}:cancelled:${jobId}`;
  }

  async start(worker: JobWorker, onDead: DeadJobHandler): Promise<void> {
    this.onDead = onDead;
    const subscriber = this.redis.duplicate();
    this.subscriber = subscriber;
    subscriber.on("error", (error: Error) => this.log("redis subscriber error", { err: error.message }));
    subscriber.on("message", (_channel: string, jobId: string) => this.running.get(jobId)?.abort());
    await subscriber.subscribe(this.channel);

    // Every process sees a final failure here, including a job failed for stalling twice
    // (no processor runs for that one); the guard in reportDead keeps the report to one.
    const events = new QueueEvents(this.name, { connection: { url: this.url } });
    this.events = events;
    events.on("error", (error) => this.log("redis queue events error", { err: error.message }));
    events.on("failed", ({ jobId, failedReason }) => this.track(this.reportFailed(jobId, failedReason)));

    this.worker = new Worker<CellJob, void, string>(this.name, (job, token) => this.process(job, token, worker), {
      connection: { url: this.url },
      concurrency: this.concurrency,
      lockDuration: this.lockDuration,
      stalledInterval: this.stalledInterval,
      maxStalledCount: 1,
    });
    this.worker.on("error", (error) => this.log("redis worker error", { err: error.message }));
    await Promise.all([events.waitUntilReady(), this.worker.waitUntilReady()]);
  }

  async add(job: CellJob): Promise<void> {
    this.queued += 1;
    // BullMQ ignores an add whose jobId it holds; finished jobs are kept a while so a redelivery is ignored too.
    await this.queue.add(job.cell, job, {
      jobId: job.id,
      attempts: JOB_ATTEMPTS,
      removeOnComplete: { age: DAY_SECONDS, count: 1000 },
      removeOnFail: { age: 7 * DAY_SECONDS, count: 1000 },
    });
  }

  async cancel(jobId: string): Promise<void> {
    // The key stops a job that is between attempts, or is picked up as we speak, from running again.
    await this.redis.set(this.cancelledKey(jobId), "1", "EX", DAY_SECONDS);
    const state = await this.queue.getJobState(jobId);
    if (state === "waiting" || state === "delayed" || state === "prioritized") await this.queue.remove(jobId);
    await this.redis.publish(this.channel, jobId);
  }

  get busy(): boolean {
    return this.queued > 0 || this.running.size > 0 || this.reporting.size > 0;
  }

  async idle(): Promise<void> {
    for (;;) {
      const counts = await this.queue.getJobCounts("waiting", "active", "delayed");
      this.queued = Object.values(counts).reduce((sum, n) => sum + n, 0);
      if (!this.busy) return;
      await sleep(IDLE_POLL_MS);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const controller of this.running.values()) controller.abort(SHUTTING_DOWN);
    // The worker waits for its running jobs, which an aborted job's return to the queue ends.
    await this.worker?.close();
    await Promise.all([...this.reporting]);
    await Promise.all([this.events?.close(), this.queue.close()]);
    await Promise.all([this.subscriber?.quit(), this.redis.quit()]);
  }

  private async process(bullJob: Job<CellJob, void, string>, token: string | undefined, worker: JobWorker): Promise<void> {
    const job = bullJob.data;
    const controller = new AbortController();
    this.running.set(job.id, controller);
    try {
      // Registered first: cancel() sets its key before it publishes, so either the key is seen here or the message aborts us.
      if (await this.isCancelled(job.id)) return;
      await worker(job, controller.signal, (checkpoint) => bullJob.updateData({ ...job, checkpoint }));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (await this.isCancelled(job.id)) throw new UnrecoverableError(CANCELLED);
      if (this.closing !== undefined && controller.signal.aborted) {
        // Shutting down is not the job's fault: back to the queue, its attempt not spent.
        await bullJob.moveToWait(token);
        throw new WaitingError();
      }
      const attempt = bullJob.attemptsMade + 1;
      this.log("cell job failed", { job: job.id, attempt, err: reason });
      if (attempt < JOB_ATTEMPTS) throw error;
      // Reported while the job is still active, so idle() waits for the report.
      await this.reportDead(job, reason);
      throw error;
    } finally {
      this.running.delete(job.id);
    }
  }

  private async reportFailed(jobId: string, reason: string): Promise<void> {
    const job = await Job.fromId<CellJob, void, string>(this.queue, jobId);
    if (!job) {
      this.log("a failed cell job is gone before it was reported", { job: jobId, err: reason });
      return;
    }
    await this.reportDead(job.data, reason);
  }

  /** Calls onDead unless a process (this one or another) already has for this job. */
  private async reportDead(job: CellJob, reason: string): Promise<void> {
    if (await this.isCancelled(job.id)) return;
    const claimed = await this.redis.set(this.deadKey(job.id), "1", "EX", 7 * DAY_SECONDS, "NX");
    if (claimed !== "OK") return;
    try {
      await this.onDead?.(job, reason);
    } catch (error) {
      this.log("could not report a dead cell job", { job: job.id, err: (error as Error).message });
    }
  }

  private async isCancelled(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.cancelledKey(jobId))) === 1;
  }

  private track(report: Promise<void>): void {
    const settled = report.catch((error: unknown) => this.log("could not report a failed cell job", { err: (error as Error).message }));
    this.reporting.add(settled);
    void settled.finally(() => this.reporting.delete(settled));
  }
}
