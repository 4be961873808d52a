import type { Logger } from "probot";
import type { JobQueue } from "../cells/queue.js";
import type { WorkerDeps } from "./cell-worker.js";
import type { FactoryConfig } from "../config/schema.js";
import { advance, type Line } from "../stages/advance.js";
import { CELL_WORKFLOW, runTitle } from "../stages/build/actions-runner.js";
import type { LoadedArtifact } from "../state/artifact-store.js";
import type { GitHubStore } from "../github/repo-port.js";
import type { AckGate } from "./ack-gate.js";
import type { ChangedArtifacts } from "./changed-artifacts.js";
import type { Inbox } from "./inbox.js";
import type { LineEvent } from "./line-event.js";
import type { ArtifactLocks } from "./locks.js";

/** What the line needs besides an event: shared by every event this process handles. */
export interface Deps extends Omit<WorkerDeps, "emit"> {
  /** Where the local runner's jobs wait: memory, or Redis when `REDIS_URL` is set. */
  queue: JobQueue;
  /** Where events wait: memory, or Redis when `REDIS_URL` is set. */
  inbox: Inbox;
  locks: ArtifactLocks;
  changed: ChangedArtifacts;
  /** How long the ledger gathers a burst of changes before one refresh. */
  ledgerDelayMs: number;
  /** Deliveries being acknowledged go before events being handled. */
  gate: AckGate;
  /** How long after an Actions dispatch the line looks for its run (default 2 min). */
  handOffCheckMs: number;
  /** Where git reaches GitHub from (`GHE_HOST`), and where workspaces go. */
  env: NodeJS.ProcessEnv;
  workRoot: string | undefined;
  /** The app's clock: records are stamped with it and judged by it (a refusal's hour, budgets). */
  now: () => Date;
}

/** One event being handled, holding its artifact's lock. */
export interface EventContext {
  deps: Deps;
  event: LineEvent;
  /** 1 for the first try (also after a crash: BullMQ does not count those); for log lines. A try goes on from what it finds on GitHub, whatever its number. */
  attempt: number;
  store: GitHubStore;
  line: Line;
  log: Logger;
  /** `.github/factory.yml`, validated; a bad file is reported once on `report.issue`. Read once per event. */
  config(report?: { issue: number; key: string }): Promise<FactoryConfig | undefined>;
  /** An artifact's records changed: the ledger catches up with it (one refresh per burst). */
  changed(config: FactoryConfig, issue: number): Promise<void>;
}

/**
 * Whether the record keyed `key` is already on the artifact: an earlier try of this
 * event wrote it and then failed, or its process died (a redelivery never gets
 * here: the inbox knows its id). This try then finishes what the first began, the
 * stage after it and the views; `advance` is idempotent by its keys, so finishing
 * twice does nothing more.
 */
export async function alreadyDone(ctx: EventContext, config: FactoryConfig, loaded: LoadedArtifact, key: string, trigger: string): Promise<boolean> {
  if (!loaded.artifact.keys.has(key)) return false;
  await advance(ctx.store, config, ctx.line, loaded, trigger, { sync: true });
  return true;
}

/**
 * Whether an earlier try of the event `eventId` wrote a record (its keys are
 * `<event id>:<stage>`) and then failed, or its process died: a retry goes on from
 * there, wherever the artifact is now, not from the guards that record made false.
 */
export function begunBy(loaded: LoadedArtifact, eventId: string): boolean {
  return loaded.records.some((r) => r.key.startsWith(`${eventId}:`));
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
export async function cancelRunning(deps: Pick<Deps, "queue">, store: GitHubStore, running: { runner: string; job: string; stage: string } | undefined): Promise<void> {
  if (!running) return;
  if (running.runner === "actions") await store.port.cancelWorkflowRunTitled(CELL_WORKFLOW, runTitle(running.stage === "build" ? "builder" : running.stage, running.job));
  else await deps.queue.cancel(running.job);
}
