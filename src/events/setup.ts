import type { Context, Logger } from "probot";
import type { FactoryConfig } from "../config/schema.js";
import { RepoPort } from "../github/repo-port.js";
import { refreshLedger } from "../ledger/refresh-ledger.js";
import type { CoalescingScheduler } from "../ledger/scheduler.js";
import { ArtifactStore } from "../state/artifact-store.js";

/** What every handler needs that is not in the payload. */
export interface Deps {
  botLogin: () => Promise<string>;
  stateKey: Buffer;
  ledger: CoalescingScheduler;
}

export async function storeFor(context: Context, deps: Deps): Promise<ArtifactStore> {
  const port = new RepoPort(context.octokit, context.repo());
  return new ArtifactStore(port, { botLogin: await deps.botLogin(), key: deps.stateKey, log: context.log });
}

/** The ledger is rebuilt after the webhook is answered, once per burst of changes. */
export function scheduleLedger(deps: Deps, store: ArtifactStore, config: FactoryConfig, log: Logger): void {
  if (!config.ledger.issue) return;
  deps.ledger.schedule(store.port.fullName.toLowerCase(), () => refreshLedger(store, config, log));
}

/** Runs a handler body so that nothing is thrown at the webhook: failures become one log line with where it happened. */
export async function guarded(context: Context, what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const { owner, repo } = context.repo();
    context.log.error({ err: error, event: context.name, delivery: context.id, repo: `${owner}/${repo}` }, `${what} failed; redeliver the webhook to retry`);
  }
}

/** With a config we cannot read we cannot know a custom label: report only on what looks like the factory's. */
export function looksLikeFactory(labels: readonly string[]): boolean {
  return labels.some((name) => /factory/i.test(name));
}
