import type { Logger, ProbotOctokit } from "probot";
import { lineEvent, type LineEvent } from "./line-event.js";
import { gitToken } from "../github/git-token.js";
import { RepoPort, type PortCaches } from "../github/repo-port.js";
import { runBuild } from "../stages/build/run-build.js";
import { runVerifierJob } from "../stages/verify/verifier-job.js";
import { ArtifactStore } from "../state/artifact-store.js";
import { contractFor, type CellContract } from "../cells/contracts.js";
import type { Box } from "../cells/box.js";
import type { CellJob } from "../cells/queue.js";

/** What a worker needs: how to authenticate as the job's installation, and where its result goes. */
export interface WorkerDeps {
  /** An Octokit authenticated as an installation (a fresh instance per call). */
  auth: (installationId: number) => Promise<ProbotOctokit>;
  botLogin: () => Promise<string>;
  stateKey: Buffer;
  caches: PortCaches;
  /** Cell contracts, loaded and compiled once at startup. */
  contracts: ReadonlyMap<string, CellContract>;
  /** Hands an event to the line (the inbox): a job's result is judged there, holding the artifact's lock. */
  emit: (event: LineEvent) => Promise<void>;
  log: Logger;
  /** The isolation boundary every harness and verify command runs in. */
  box: Box;
}

async function jobContext(deps: WorkerDeps, job: CellJob, log: Logger) {
  const octokit = await deps.auth(job.installationId);
  const port = new RepoPort(octokit, { owner: job.owner, repo: job.repo }, deps.caches);
  const store = new ArtifactStore(port, { botLogin: await deps.botLogin(), key: deps.stateKey, log });
  // git's token: this repository, contents only; the build pushes, the verifier only reads.
  const token = () => gitToken(octokit, job, job.cell === "verifier" ? "read" : "write");
  return { store, token };
}

function jobEvent(job: CellJob): Pick<LineEvent, "installationId" | "owner" | "repo" | "target"> {
  return { installationId: job.installationId, owner: job.owner, repo: job.repo, target: { issue: job.issue } };
}

/**
 * The local runner's worker: runs a cell job and hands its result to the line as a
 * `job.done` event. It writes no record itself: by the time a job ends, a person may
 * have stopped, retried or pushed, and only the line, holding the artifact's lock,
 * can judge the result against that. A job cut short by a shutdown throws (the
 * queue hands it back); one that finished reports, shutdown or not.
 */
export function cellWorker(deps: WorkerDeps, options: { env?: NodeJS.ProcessEnv | undefined; workRoot?: string | undefined } = {}) {
  return async (job: CellJob, signal: AbortSignal, save: (checkpoint: Record<string, unknown>) => Promise<void> = async () => {}): Promise<void> => {
    const log = deps.log.child({ job: job.id, repo: `${job.owner}/${job.repo}`, issue: job.issue });
    const env = options.env ?? process.env;
    const { store, token } = await jobContext(deps, job, log);
    let result: Record<string, unknown> | undefined;
    if (job.cell === "verifier") {
      result = await runVerifierJob({ store, token, env, workRoot: options.workRoot, box: deps.box }, job, signal);
    } else {
      const contract = contractFor(deps.contracts, "build");
      if (!contract) throw new Error("no contract for the build stage under cells/");
      result = await runBuild({ store, token, contract, log, env, workRoot: options.workRoot, box: deps.box, save }, job, signal);
    }
    if (!result) return;
    await deps.emit(
      lineEvent("job.done", {
        ...jobEvent(job),
        id: `${job.id}:done`,
        what: `${job.cell === "verifier" ? "verify" : "build"} job ${job.id}`,
        data: { job: job.id, cell: job.cell, ...(job.sha ? { sha: job.sha } : {}), result },
      }),
    );
  };
}

/** A job whose worker failed twice: the line blocks its artifact, once, with the reason. */
export function deadJobHandler(deps: Pick<WorkerDeps, "emit" | "log">) {
  return async (job: CellJob, reason: string): Promise<void> => {
    deps.log.error({ job: job.id, repo: `${job.owner}/${job.repo}`, issue: job.issue, reason }, "cell job died twice; the artifact will be blocked");
    await deps.emit(
      lineEvent("job.dead", {
        ...jobEvent(job),
        id: `${job.id}:dead`,
        what: `${job.cell === "verifier" ? "verify" : "build"} job ${job.id}`,
        data: { job: job.id, cell: job.cell, reason: reason.slice(0, 2000) },
      }),
    );
  };
}
