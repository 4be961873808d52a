import type { Logger } from "probot";
import { MemoryQueue, type JobQueue } from "./queue.js";
import { RedisQueue } from "./redis-queue.js";

/**
 * The local runner's queue, from the environment: BullMQ on Redis when `REDIS_URL`
 * is set (shared by every process, and a job survives a restart), else in memory.
 * `FACTORY_WORKERS` sets how many jobs one process runs at once (default 2).
 */
export function createQueue(env: NodeJS.ProcessEnv, log: Logger): JobQueue {
  const concurrency = Math.max(1, Math.min(32, Number(env.FACTORY_WORKERS ?? 2) || 2));
  const note = (message: string, fields: Record<string, unknown>) => log.warn(fields, message);
  if (env.REDIS_URL) return new RedisQueue({ url: env.REDIS_URL, concurrency, log: note });
  return new MemoryQueue(concurrency, note);
}
