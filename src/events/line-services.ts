import type { Logger } from "probot";
import type { JobQueue } from "../cells/queue.js";
import { createQueue } from "../cells/queues.js";
import { MemoryChangedArtifacts, type ChangedArtifacts } from "./changed-artifacts.js";
import { DEFAULT_RETRY, MemoryInbox, type Inbox, type RetryPolicy } from "./inbox.js";
import { MemoryLocks, type ArtifactLocks } from "./locks.js";
import { RedisChangedArtifacts } from "./redis-changed-artifacts.js";
import { RedisInbox } from "./redis-inbox.js";
import { RedisLocks } from "./redis-locks.js";

/** Where the line keeps what is shared between its processes: events, locks, jobs and the ledger's marks. */
export interface LineServices {
  inbox: Inbox;
  locks: ArtifactLocks;
  changed: ChangedArtifacts;
  queue: JobQueue;
}

/**
 * From the environment: with `REDIS_URL`, everything on Redis, so several processes
 * (or machines) share one line and an acknowledged event survives a crash; without
 * it, everything in this process. `FACTORY_EVENT_WORKERS` sets how many events one
 * process handles at once (default 16), `FACTORY_WORKERS` how many cell jobs (2).
 */
export function createLineServices(env: NodeJS.ProcessEnv, log: Logger, given: Partial<LineServices> = {}, options: { retry?: RetryPolicy } = {}): LineServices {
  const concurrency = Math.max(1, Math.min(256, Number(env.FACTORY_EVENT_WORKERS ?? 16) || 16));
  const retry = options.retry ?? DEFAULT_RETRY;
  const note = (message: string, fields: Record<string, unknown>) => log.warn(fields, message);
  const url = env.REDIS_URL;
  return {
    inbox: given.inbox ?? (url ? new RedisInbox({ url, concurrency, retry, log: note }) : new MemoryInbox({ concurrency, retry, log: note })),
    locks: given.locks ?? (url ? new RedisLocks({ url, log: note }) : new MemoryLocks()),
    changed: given.changed ?? (url ? new RedisChangedArtifacts({ url }) : new MemoryChangedArtifacts()),
    queue: given.queue ?? createQueue(env, log),
  };
}

/**
 * Closes what the line holds, in the order a shutdown needs: no new events (those in
 * hand finished or handed back), then jobs back to the queue (one that finishes as it
 * closes still reports to the inbox), then the inbox and the connections.
 */
export async function closeLineServices(services: LineServices, options: { graceMs?: number } = {}): Promise<void> {
  await services.inbox.stop(options);
  await services.queue.close();
  await services.inbox.close(options);
  await services.locks.close();
  await services.changed.close?.();
}
