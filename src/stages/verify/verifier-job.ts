import type { CellJob } from "../../cells/queue.js";
import { botIdentity, cloneUrl, Workspace } from "../../cells/workspace.js";
import type { ArtifactStore } from "../../state/artifact-store.js";
import { fold } from "../../state/fold.js";
import { advance, type Line } from "../advance.js";
import { doneKey } from "../build/run-build.js";
import { runVerifyCommands } from "./run-commands.js";
import { runVerify } from "./run-verify.js";

/**
 * The verifier's job on the local runner: run `verify.commands` in a workspace at
 * the commit, then judge it with those results and the checks, and continue the line.
 */
export async function runVerifierJob(
  ctx: { store: ArtifactStore; line: Line; token: () => Promise<string>; env: NodeJS.ProcessEnv; workRoot?: string | undefined; onDone: () => void },
  job: CellJob,
  signal: AbortSignal,
): Promise<void> {
  const { store, line } = ctx;
  const loaded = await store.load(job.issue);
  const { artifact } = loaded;
  if (artifact.keys.has(doneKey(job)) || artifact.status !== "active" || artifact.stage !== "verify" || artifact.running?.job !== job.id || !job.sha) return;
  const workspace = await Workspace.clone({
    url: cloneUrl(ctx.env, job.owner, job.repo),
    token: await ctx.token(),
    branch: artifact.branch as string,
    identity: botIdentity(store.botLogin),
    parent: ctx.workRoot,
  });
  let evidence;
  try {
    await workspace.checkout(job.sha);
    evidence = await runVerifyCommands(workspace, job.config.verify.commands, {
      timeoutMs: job.config.verify.timeoutMinutes * 60_000,
      path: ctx.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      signal,
    });
  } finally {
    await workspace.remove();
  }
  if (signal.aborted) return;
  const record = await runVerify(store, job.config, line, loaded, doneKey(job), { sha: job.sha, evidence, fresh: true });
  if (!record) return;
  const records = [...loaded.records, record];
  await advance(store, job.config, line, { ...loaded, records, artifact: fold(loaded.id, records) }, job.id, { sync: true });
  ctx.onDone();
}
