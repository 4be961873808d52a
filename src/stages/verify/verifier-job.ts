import type { CellJob } from "../../cells/queue.js";
import { Workspace } from "../../cells/workspace.js";
import { type ArtifactStore, withRecord } from "../../state/artifact-store.js";
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
  const workspace = await Workspace.forJob({ env: ctx.env, owner: job.owner, repo: job.repo, branch: artifact.branch as string, botLogin: store.botLogin, token: await ctx.token(), parent: ctx.workRoot });
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
  await advance(store, job.config, line, withRecord(loaded, record), job.id, { sync: true });
  ctx.onDone();
}
