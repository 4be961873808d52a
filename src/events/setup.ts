import type { Context } from "probot";
import { RepoPort } from "../github/repo-port.js";
import { ArtifactStore } from "../state/artifact-store.js";

/** What every handler needs that is not in the payload. */
export interface Deps {
  botLogin: () => Promise<string>;
  stateKey: Buffer;
}

export async function storeFor(context: Context, deps: Deps): Promise<ArtifactStore> {
  const port = new RepoPort(context.octokit, context.repo());
  return new ArtifactStore(port, { botLogin: await deps.botLogin(), key: deps.stateKey, log: context.log });
}

/** Runs a handler body so that nothing is thrown at the webhook: failures become one log line with where it happened. */
export async function guarded(context: Context, what: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    context.log.error(
      { err: error, event: context.name, delivery: context.id, repo: `${context.repo().owner}/${context.repo().repo}` },
      `${what} failed; redeliver the webhook to retry`,
    );
  }
}
