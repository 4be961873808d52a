import type { SignedRecord } from "../../state/records.js";
import { fitBody } from "../../views/render.js";
import type { Logger } from "probot";
import type { FactoryConfig } from "../../config/schema.js";
import { type ArtifactStore, type LoadedArtifact } from "../../state/artifact-store.js";
import type { BranchesPort, LabelsPort, ThreadsPort } from "../../ports/github.js";
import { fold } from "../../state/fold.js";
import { pullRequestBody } from "../../views/comments.js";
import { existingBlocks, syncViews, trackingBody } from "../sync-views.js";
import { PermanentFailure, TransientFailure } from "../../line/failures.js";
import { describeError, isHeadNotYetSeen, isRefusal } from "../../github/errors.js";
import { clip } from "../../line/text.js";
import { fitRequest } from "./budget.js";
import { branchName, parseRequest } from "./parse-request.js";

export interface IntakeRequest {
  issue: { number: number; title: string; body: string | null | undefined; author: string; labels: string[] };
  requestedBy: string;
  defaultBranch: string;
  /** The idempotency key: the webhook delivery id. */
  key: string;
}

export type IntakeOutcome = "duplicate" | "already-open" | "needs-criteria" | "opened";

/**
 * Intake: validate the request, then open the artifact (branch with an empty
 * commit, draft PR, tracking comment with the `artifact.opened` record). It runs
 * holding the artifact's lock, and every step finds what an earlier, interrupted
 * try made (the branch, the PR, the tracking comment) instead of making it again.
 */
export async function runIntake(
  store: ArtifactStore<ThreadsPort & LabelsPort & BranchesPort>,
  config: FactoryConfig,
  request: IntakeRequest,
  log: Logger,
): Promise<{ outcome: IntakeOutcome; loaded: LoadedArtifact }> {
  const { port } = store;
  const { issue } = request;
  const loaded = await store.load(issue.number);
  if (loaded.artifact.keys.has(request.key)) return { outcome: "duplicate", loaded };
  if (loaded.artifact.pr !== undefined) return { outcome: "already-open", loaded };

  const parsed = parseRequest(issue.title, issue.body);
  const view = { title: issue.title, missing: parsed.missing };

  if (parsed.missing.length > 0) {
    let artifact = loaded.artifact;
    if (!loaded.tracking) {
      const record = store.record(loaded, "intake.needs_criteria", { title: issue.title, missing: parsed.missing }, request.key);
      artifact = fold(loaded.id, [...loaded.records, record]);
      loaded.tracking = await port.createComment(issue.number, trackingBody(artifact, view, [store.block(record)]));
    }
    await syncViews(store, config, loaded, artifact, issue.labels, view);
    log.info({ artifact: loaded.id, missing: parsed.missing.length }, "intake: waiting for success criteria");
    return { outcome: "needs-criteria", loaded };
  }

  const fitted = fitRequest({ title: issue.title, goal: parsed.goal, criteria: parsed.criteria });
  // An earlier try that opened its PR and then failed named the branch from the title as it was then: with the
  // title edited since, a branch named from the new one would open a second PR. The earlier try's PR is adopted.
  let branch = branchName(config.branchPrefix, issue.number, issue.title);
  for (const earlier of await port.artifactBranches(config.branchPrefix, issue.number)) {
    if (earlier !== branch && (await port.findOpenPull(earlier))) {
      branch = earlier;
      break;
    }
  }
  const base = await port.branchHead(request.defaultBranch);
  const commit = await port.createEmptyCommit(base.sha, base.treeSha, clip(`chore(factory): open #${issue.number} ${fitted.title}`, 200));
  const made = await port.createBranch(branch, commit);
  // An open PR on the branch without a record is an earlier try's (its answer was lost, or the process died): it is adopted.
  const opened = await port
    .openDraftPull({
      title: fitted.title,
      head: branch,
      base: request.defaultBranch,
      body: pullRequestBody({ issue: issue.number, goal: fitted.goal, criteria: fitted.criteria, requestedBy: request.requestedBy, cut: fitted.cut }),
    })
    .catch(async (error: unknown) => {
      // A branch just made, with its commit, that the pull request side does not see yet: thrown, and the event tried again a little later.
      if (made === "created" && isHeadNotYetSeen(error)) throw new TransientFailure(`GitHub does not see the new branch \`${branch}\` yet: ${describeError(error)}`);
      // Refused for good: the branch this try made goes too, so nothing is left half-made; the failure is said on the issue.
      if (!isRefusal(error)) throw error;
      await port.deleteBranch(branch).catch((cleanup: unknown) => log.warn({ artifact: loaded.id, branch, err: cleanup }, "intake: could not delete the branch of a refused PR"));
      throw new PermanentFailure(`GitHub refused to open the pull request: ${describeError(error)}. Change what it names on the issue, then remove and add the \`${config.labels.intake}\` label to try again.`);
    });
  const { pull, wip, created } = opened;

  const record = store.record(
    loaded,
    "artifact.opened",
    {
      issue: issue.number,
      title: fitted.title,
      goal: fitted.goal,
      criteria: fitted.criteria,
      branch,
      baseBranch: request.defaultBranch,
      pr: pull.number,
      author: issue.author,
      requestedBy: request.requestedBy,
      ...(wip ? { wip } : {}),
      ...(fitted.cut.length ? { cut: fitted.cut } : {}),
    },
    request.key,
  );
  if (wip && created) {
    log.warn({ artifact: loaded.id, pr: pull.number }, "intake: the repository refused a draft PR; opened a normal one marked work in progress");
  }
  const artifact = fold(loaded.id, [...loaded.records, record]);
  if (loaded.tracking) {
    // Only intake appends to the tracking comment, and only this record, once, holding the artifact's lock.
    await port.updateComment(loaded.tracking.id, trackingBody(artifact, view, [...existingBlocks(loaded.tracking.body), store.block(record)]));
  } else {
    loaded.tracking = await port.createComment(issue.number, trackingBody(artifact, view, [store.block(record)]));
  }
  const synced = { ...loaded, tracking: undefined };
  await syncViews(store, config, synced, artifact, issue.labels, view);
  log.info({ artifact: loaded.id, pr: pull.number, branch }, "intake: artifact opened");
  return { outcome: "opened", loaded: { ...loaded, artifact, records: [...loaded.records, record] } };
}

/**
 * The issue of an open artifact was edited: when its goal or criteria changed, the
 * artifact takes them (a record on the issue says so). With the scope gate on and the
 * plan approved, the line goes back to waiting for approval. Returns the record, or
 * undefined when nothing the line reads changed (a title or prose edit elsewhere, or
 * criteria taken out entirely, which the artifact keeps as they were).
 */
export async function reviseRequest(
  store: ArtifactStore<ThreadsPort>,
  config: FactoryConfig,
  loaded: LoadedArtifact,
  edit: { title: string; body: string | null | undefined; by: string; key: string },
): Promise<SignedRecord | undefined> {
  const { artifact } = loaded;
  if (artifact.pr === undefined || artifact.status === "done" || artifact.keys.has(edit.key)) return undefined;
  const parsed = parseRequest(edit.title, edit.body);
  if (parsed.missing.length > 0) return undefined;
  const fitted = fitRequest({ title: edit.title, goal: parsed.goal, criteria: parsed.criteria });
  if (fitted.goal === artifact.goal && JSON.stringify(fitted.criteria) === JSON.stringify(artifact.criteria)) return undefined;
  const backToApproval = config.gates.scope && artifact.scopeApproved !== undefined && artifact.status === "active" && artifact.stage !== "scout";
  // Back to approval, the job in flight no longer counts: the record names it, for the caller (and a retry) to cancel.
  const { running } = artifact;
  const cancels = backToApproval && running ? { runner: running.runner, job: running.job, stage: running.stage } : undefined;
  const record = store.record(loaded, "artifact.revised", { by: edit.by, goal: fitted.goal, criteria: fitted.criteria, backToApproval, ...(cancels ? { cancels } : {}) }, edit.key);
  const said = backToApproval
    ? `@${edit.by} edited the goal or criteria after the plan was approved: the line waits for approval again (\`/factory approve\`, or \`/factory revise <guidance>\`).`
    : `@${edit.by} edited the goal or criteria: the builder and the verifier work from the new ones.`;
  await store.port.createComment(loaded.issue, fitBody(said, [store.block(record)]));
  return record;
}
