import type { Context, Logger } from "probot";
import type { FactoryConfig } from "../config/schema.js";
import { RepoPort, type PortCaches } from "../github/repo-port.js";
import { refreshLedger } from "../ledger/refresh-ledger.js";
import type { Background } from "../cells/background.js";
import type { CellContract } from "../cells/contracts.js";
import type { JobQueue } from "../cells/queue.js";
import { ArtifactStore } from "../state/artifact-store.js";
import { runTitle } from "../stages/build/actions-runner.js";
import type { Line } from "../stages/advance.js";

/** What every handler needs that is not in the payload. */
export interface Deps {
  botLogin: () => Promise<string>;
  stateKey: Buffer;
  background: Background;
  caches: PortCaches;
  /** Cell contracts, loaded and compiled once at startup. */
  contracts: ReadonlyMap<string, CellContract>;
  /** Where the local runner's jobs wait: memory, or Redis when `REDIS_URL` is set. */
  queue: JobQueue;
}

/** The line as an event handler sees it: jobs it queues authenticate as the event's installation. */
export function lineFor(deps: Deps, context: Context): Line {
  const installationId = (context.payload as { installation?: { id?: number } }).installation?.id ?? 0;
  return { contracts: deps.contracts, queue: deps.queue, installationId, log: context.log };
}

export async function storeFor(context: Context, deps: Deps): Promise<ArtifactStore> {
  const port = new RepoPort(context.octokit, context.repo(), deps.caches);
  return new ArtifactStore(port, { botLogin: await deps.botLogin(), key: deps.stateKey, log: context.log });
}

/** The ledger is rebuilt in the background, once per burst of changes. */
export function scheduleLedger(deps: Deps, store: ArtifactStore, config: FactoryConfig, log: Logger): void {
  if (!config.ledger.issue) return;
  deps.background.coalesce(`${store.port.fullName.toLowerCase()}:ledger`, () => refreshLedger(store, config, log));
}

/**
 * Queues a handler's work behind earlier work on the same thread and returns at
 * once, so the webhook is answered well inside GitHub's 10 s. A failure becomes
 * one log line that says what, where and how to retry; nothing reaches the webhook.
 */
export function enqueue(deps: Deps, context: Context, thread: number, what: string, body: () => Promise<void>): void {
  const { owner, repo } = context.repo();
  deps.background.serial(`${owner}/${repo}#${thread}`.toLowerCase(), async () => {
    try {
      await body();
    } catch (error) {
      context.log.error({ err: error, event: context.name, delivery: context.id, repo: `${owner}/${repo}` }, `${what} failed; redeliver the webhook to retry`);
    }
  });
}

/** With a config we cannot read we cannot know a custom label: report only on what looks like the factory's. */
export function looksLikeFactory(labels: readonly string[]): boolean {
  return labels.some((name) => /factory/i.test(name));
}

/**
 * Ends the job a runner holds for an artifact: the local queue's (wherever it runs),
 * or the Actions run the cell workflow started. Its result, if it still arrives,
 * no longer counts (a job's records carry its id).
 */
export async function cancelRunning(deps: Deps, store: ArtifactStore, running: { runner: string; job: string; stage: string } | undefined): Promise<void> {
  if (!running) return;
  if (running.runner === "actions") await store.port.cancelWorkflowRunTitled(runTitle(running.stage === "build" ? "builder" : running.stage, running.job));
  else await deps.queue.cancel(running.job);
}
