import { createHash } from "node:crypto";
import type { FactoryConfig } from "../config/schema.js";

/**
 * A cell job: everything a worker needs to run one cell for one artifact, as plain
 * JSON, so a queue can hold it in memory or in Redis. No token: a worker asks for a
 * fresh installation token when it starts.
 */
export interface CellJob {
  /** Unique per run of a stage; a queue never holds two jobs with one id. */
  id: string;
  cell: "builder" | "verifier";
  installationId: number;
  owner: string;
  repo: string;
  issue: number;
  /** The commit a verifier job checks. */
  sha?: string;
  /** `.github/factory.yml` as it was when the job was queued. */
  config: FactoryConfig;
  /** What an earlier attempt of this job saved before a step it cannot take back (a build's push): the next attempt reads it. */
  checkpoint?: Record<string, unknown>;
}

/** A job id per stage run: stable for one trigger (a redelivery queues nothing new), safe as a Redis key. */
export function jobId(stage: string, issue: number, trigger: string): string {
  return `${stage}-${issue}-${createHash("sha256").update(trigger).digest("hex").slice(0, 16)}`;
}

/**
 * Runs a job; rejects only when the worker itself failed (the job is then retried once).
 * `save` keeps a checkpoint with the job, where its next attempt finds it (in Redis,
 * across a crash).
 */
export type JobWorker = (job: CellJob, signal: AbortSignal, save: (checkpoint: Record<string, unknown>) => Promise<void>) => Promise<void>;

/** Called once for a job whose worker failed twice (or died twice): the artifact must be blocked. */
export type DeadJobHandler = (job: CellJob, reason: string) => Promise<void>;

export interface JobQueue {
  readonly kind: "memory" | "redis";
  /** Starts taking jobs, `concurrency` at a time. */
  start(worker: JobWorker, onDead: DeadJobHandler): Promise<void>;
  /** Adds a job; a second add with the same id is ignored. */
  add(job: CellJob): Promise<void>;
  /** Cancels a job: removed if waiting, its process group killed if running, wherever it runs. */
  cancel(jobId: string): Promise<void>;
  /** Resolves when this process has no job waiting or running. */
  idle(): Promise<void>;
  readonly busy: boolean;
  close(): Promise<void>;
}

/** The abort reason of a job stopped because its process is shutting down (not cancelled): it goes back to the queue. */
export const SHUTTING_DOWN = "shutting down";

/** Whether a job's signal was aborted for a shutdown rather than a cancel. */
export function shuttingDown(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason === SHUTTING_DOWN;
}

/** Attempts per job: the first run, and one retry when the worker dies. */
export const JOB_ATTEMPTS = 2;

/**
 * The default queue: in memory, a fixed pool of workers. A job lost with the process
 * is not retried (there is nobody left to retry it); `/factory retry build` starts it
 * again. Set `REDIS_URL` for a queue that survives restarts and is shared by processes.
 */
export class MemoryQueue implements JobQueue {
  readonly kind = "memory" as const;
  private readonly waiting: CellJob[] = [];
  private readonly running = new Map<string, AbortController>();
  private readonly seen = new Set<string>();
  private readonly settled: Array<() => void> = [];
  private worker: JobWorker | undefined;
  private onDead: DeadJobHandler | undefined;
  private closed = false;

  constructor(
    private readonly concurrency = 2,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = () => {},
  ) {}

  async start(worker: JobWorker, onDead: DeadJobHandler): Promise<void> {
    this.worker = worker;
    this.onDead = onDead;
    this.pump();
  }

  async add(job: CellJob): Promise<void> {
    if (this.seen.has(job.id)) return;
    this.seen.add(job.id);
    this.waiting.push(job);
    this.pump();
  }

  async cancel(jobId: string): Promise<void> {
    const index = this.waiting.findIndex((j) => j.id === jobId);
    if (index >= 0) this.waiting.splice(index, 1);
    this.running.get(jobId)?.abort();
    this.notify();
  }

  get busy(): boolean {
    return this.waiting.length > 0 || this.running.size > 0;
  }

  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.settled.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.waiting.length = 0;
    for (const controller of this.running.values()) controller.abort(SHUTTING_DOWN);
    await this.idle();
  }

  private pump(): void {
    while (!this.closed && this.worker && this.running.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift() as CellJob;
      const controller = new AbortController();
      this.running.set(job.id, controller);
      void this.run(job, controller).finally(() => {
        this.running.delete(job.id);
        this.pump();
        this.notify();
      });
    }
  }

  private async run(job: CellJob, controller: AbortController): Promise<void> {
    const worker = this.worker as JobWorker;
    let reason = "";
    const save = async (checkpoint: Record<string, unknown>) => {
      job = { ...job, checkpoint };
    };
    for (let attempt = 1; attempt <= JOB_ATTEMPTS; attempt++) {
      try {
        await worker(job, controller.signal, save);
        return;
      } catch (error) {
        reason = (error as Error).message;
        this.log("cell job failed", { job: job.id, attempt, err: reason });
        if (controller.signal.aborted) return;
      }
    }
    try {
      await this.onDead?.(job, reason);
    } catch (error) {
      this.log("could not report a dead cell job", { job: job.id, err: (error as Error).message });
    }
  }

  private notify(): void {
    if (this.busy) return;
    for (const resolve of this.settled.splice(0)) resolve();
  }
}
