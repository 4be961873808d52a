import type { Logger, Probot } from "probot";
import type { Deps } from "../events/setup.js";
import { scheduleLedger } from "../events/setup.js";
import { RepoPort } from "../github/repo-port.js";
import { advance, type Line } from "../stages/advance.js";
import { doneKey, runBuild } from "../stages/build/run-build.js";
import { runVerifierJob } from "../stages/verify/verifier-job.js";
import { ArtifactStore, withRecord } from "../state/artifact-store.js";
import { stageFailedView } from "../views/comments.js";
import { fitBody } from "../views/render.js";
import { contractFor } from "./contracts.js";
import type { CellJob } from "./queue.js";

/** Where a job's store, token and line come from: the job's installation, authenticated afresh. */
async function jobContext(app: Probot, deps: Deps, job: CellJob, log: Logger) {
  const octokit = await app.auth(job.installationId);
  const port = new RepoPort(octokit, { owner: job.owner, repo: job.repo }, deps.caches);
  const store = new ArtifactStore(port, { botLogin: await deps.botLogin(), key: deps.stateKey, log });
  const line: Line = { contracts: deps.contracts, queue: deps.queue, installationId: job.installationId, log };
  const token = async () => ((await octokit.auth({ type: "installation" })) as { token: string }).token;
  return { store, line, token };
}

/**
 * The local runner's worker: runs a cell job and continues the line after it. Only
 * a failure of the worker itself rejects (the queue then retries the job once).
 */
export function cellWorker(app: Probot, deps: Deps, options: { env?: NodeJS.ProcessEnv | undefined; workRoot?: string | undefined } = {}) {
  return async (job: CellJob, signal: AbortSignal): Promise<void> => {
    const log = app.log.child({ job: job.id, repo: `${job.owner}/${job.repo}`, issue: job.issue });
    if (job.cell === "verifier") {
      const { store, line, token } = await jobContext(app, deps, job, log);
      await runVerifierJob({ store, line, token, env: options.env ?? process.env, workRoot: options.workRoot, onDone: () => scheduleLedger(deps, store, job.config, log) }, job, signal);
      return;
    }
    const contract = contractFor(deps.contracts, "build");
    if (!contract) throw new Error("no contract for the build stage under cells/");
    const { store, line, token } = await jobContext(app, deps, job, log);
    await runBuild(
      {
        store,
        token,
        contract,
        log,
        env: options.env ?? process.env,
        workRoot: options.workRoot,
        advance: async (loaded, trigger) => {
          await advance(store, job.config, line, loaded, trigger, { sync: true });
          scheduleLedger(deps, store, job.config, log);
        },
      },
      job,
      signal,
    );
  };
}

/** A job whose worker failed twice blocks its artifact, once, with the reason. */
export function deadJobHandler(app: Probot, deps: Deps) {
  return async (job: CellJob, reason: string): Promise<void> => {
    const log = app.log.child({ job: job.id, repo: `${job.owner}/${job.repo}`, issue: job.issue });
    const { store } = await jobContext(app, deps, job, log);
    const loaded = await store.load(job.issue);
    if (loaded.artifact.keys.has(doneKey(job))) return;
    const stage = job.cell === "verifier" ? "verify" : "build";
    const text = `The worker running ${stage} job \`${job.id}\` failed twice (${reason.slice(0, 300)}), so the artifact is blocked rather than retried again.`;
    const record = store.record(loaded, "stage.failed", { stage, reason: text, job: job.id }, doneKey(job));
    await store.port.createComment(loaded.artifact.pr ?? job.issue, fitBody(stageFailedView(stage, text, []), [store.block(record)]));
    log.error({ reason }, "cell job died twice; artifact blocked");
    const line: Line = { contracts: deps.contracts, queue: deps.queue, installationId: job.installationId, log };
    await advance(store, job.config, line, withRecord(loaded, record), job.id, { sync: true });
  };
}
