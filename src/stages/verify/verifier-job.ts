import type { Box } from "../../cells/box.js";
import { shuttingDown, type CellJob } from "../../cells/queue.js";
import { Workspace } from "../../cells/workspace.js";
import type { GitHubStore } from "../../github/repo-port.js";
import { doneKey } from "../build/run-build.js";
import { runVerifyCommands } from "./run-commands.js";
import type { Evidence } from "./verdict.js";

/**
 * The verifier's job on the local runner: run `verify.commands` in a workspace at
 * the commit and report their results. The verdict is the line's: the job's
 * `job.done` event brings the results back to the artifact, judged as it is then.
 */
export async function runVerifierJob(
  ctx: { store: GitHubStore; token: () => Promise<string>; env: NodeJS.ProcessEnv; workRoot?: string | undefined; box: Box },
  job: CellJob,
  signal: AbortSignal,
): Promise<{ sha: string; evidence: Evidence[] } | undefined> {
  const { store } = ctx;
  const loaded = await store.load(job.issue);
  const { artifact } = loaded;
  if (artifact.keys.has(doneKey(job)) || artifact.status !== "active" || artifact.stage !== "verify" || artifact.running?.job !== job.id || !job.sha) return undefined;
  const workspace = await Workspace.forJob({ env: ctx.env, owner: job.owner, repo: job.repo, branch: artifact.branch as string, botLogin: store.botLogin, token: await ctx.token(), parent: ctx.workRoot });
  try {
    await workspace.checkout(job.sha);
    const evidence = await runVerifyCommands(workspace, job.config.verify.commands, {
      timeoutMs: job.config.verify.timeoutMinutes * 60_000,
      path: ctx.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
      signal,
      box: ctx.box,
      image: job.config.cells.image,
    });
    // Commands cut short by a shutdown prove nothing: the queue hands the job back to run again.
    if (shuttingDown(signal)) throw new Error("the process is shutting down; the job goes back to the queue");
    return { sha: job.sha, evidence };
  } finally {
    await workspace.remove();
  }
}
