import type { Logger } from "probot";
import { checkOutput, type CellContract } from "../../cells/contracts.js";
import { harnessFor, HARNESSES_HELP } from "../../cells/harness.js";
import { harnessProblem, runHarness } from "../../cells/run-harness.js";
import type { Box } from "../../cells/box.js";
import { lastLines } from "../../cells/process.js";
import { shuttingDown, type CellJob } from "../../cells/queue.js";
import { Workspace, workflowRefusal } from "../../cells/workspace.js";
import { type LoadedArtifact, withRecord } from "../../state/artifact-store.js";
import type { GitHubStore } from "../../github/repo-port.js";
import type { SignedRecord } from "../../state/records.js";
import { buildSummaryView, stageFailedView } from "../../views/comments.js";
import { fitBody } from "../../views/render.js";
import type { ScoutMemo } from "../scout/memo.js";
import { builderInput, latestOutput, renderBuilderPrompt } from "./prompt.js";
import { lessonsInCheckout } from "../learn/lessons.js";
import { acceptedTemplate, templateDigest } from "../learn/prompt-file.js";

/** What a worker has for one job: the artifact's store (to read), a fresh token, and the builder's contract. */
export interface JobContext {
  store: GitHubStore;
  /** A fresh installation token, for git only. */
  token: () => Promise<string>;
  contract: CellContract;
  log: Logger;
  /** The runner's environment: the source of the variables a harness may receive. */
  env: NodeJS.ProcessEnv;
  /** Parent directory for workspaces (default: the OS temp directory). */
  workRoot?: string | undefined;
  /** Where the harness runs: its job directory and nothing else of the host. */
  box: Box;
  /** Keeps a checkpoint with the job for its next attempt (the queue's `save`). */
  save?: (checkpoint: Record<string, unknown>) => Promise<void>;
}

/**
 * What a build job reports: its summary, or why it failed. It is not a record: the
 * line judges it when its `job.done` event is handled, against the artifact as it
 * is then (stopped, retried or pushed to in the meantime, it no longer counts).
 */
export type BuildResult = { outcome: "completed"; summary: BuildSummary } | { outcome: "failed"; reason: string; lines: string[] };

/** The build summary: `cells/builder/output.schema.json`. */
export interface BuildSummary {
  harness: string;
  model?: string;
  runner: "local" | "actions";
  durationMs: number;
  headSha: string;
  commits: Array<{ sha: string; subject: string }>;
  files: string[];
  insertions: number;
  deletions: number;
  netLines: number;
  costUsd?: number;
  exitCode: number;
  lastLines: string[];
  refusedEnv?: string[];
  lessons?: string[];
  /** Which template the prompt was rendered from, and its digest: what a trace of this run names. */
  prompt?: { template: string; digest: string };
}

/** The record key that marks a job as settled: a second run of the job (a retry after a worker died) sees it and stops. */
export const doneKey = (job: CellJob) => `${job.id}:done`;

/**
 * Runs the builder for one job: clone the branch with a fresh token, render the
 * prompt, run the harness in its own process group with a timeout, commit what it
 * left, require at least one new commit, push, and post the build summary (or the
 * failure) on the PR with its record. Harness failures are reported, not thrown;
 * a throw means the worker itself failed and the queue retries the job once.
 */
export async function runBuild(ctx: JobContext, job: CellJob, signal: AbortSignal): Promise<BuildResult | undefined> {
  const { store, log } = ctx;
  // Read for the job's inputs (memo, feedback, branch); the result is judged on a fresh read when it is handled.
  const loaded = await store.load(job.issue);
  const { artifact } = loaded;
  if (artifact.keys.has(doneKey(job)) || artifact.status !== "active" || artifact.stage !== "build" || artifact.running?.job !== job.id) {
    log.info({ artifact: loaded.id, job: job.id, stage: artifact.stage, status: artifact.status }, "build job no longer wanted; skipped");
    return undefined;
  }
  // An earlier attempt of this job pushed, then died (or could not hand its result on) before the line heard of it:
  // its commits are the branch's head, so its summary is the result. Running the harness again would pay for it
  // twice and, finding its own work already there, fail with "no change".
  const pushed = job.checkpoint?.pushed as BuildSummary | undefined;
  if (pushed && artifact.branch && (await store.port.branchHead(artifact.branch)).sha === pushed.headSha) {
    log.info({ artifact: loaded.id, job: job.id, head: pushed.headSha }, "build: an earlier attempt of this job pushed its commits; reporting them, not running the harness again");
    return { outcome: "completed", summary: pushed };
  }
  const choice = job.config.cells.build;
  const spec = ctx.contract.spec;
  const tailLines = spec.budget.tailLines ?? 20;

  const fail = (reason: string, lines: string[] = []): BuildResult => {
    log.warn({ artifact: loaded.id, job: job.id, reason }, "build failed");
    return { outcome: "failed", reason, lines };
  };

  const harness = harnessFor(choice);
  if (!harness) return fail(`No harness is configured for the build stage: set \`cells.build.harness\` in \`.github/factory.yml\` to ${HARNESSES_HELP}.`);

  const boxed = await ctx.box.status();
  if (!boxed.ok) return fail(`The harness was not run: this runner's sandbox (\`FACTORY_SANDBOX=${boxed.kind}\`) does not work. ${boxed.problem ?? ""}`);
  const workspace = await Workspace.forJob({ env: ctx.env, owner: job.owner, repo: job.repo, branch: artifact.branch as string, botLogin: store.botLogin, token: await ctx.token(), parent: ctx.workRoot });
  try {
    const memo = latestOutput(loaded.records, "scout") as ScoutMemo | undefined;
    // Accepted lessons on the branch (merged into .factory/lessons/): the matching ones, chosen by Thompson sampling.
    const { chosen, problems } = await lessonsInCheckout(workspace.dir, { likelyFiles: memo?.likelyFiles.map((f) => f.path) ?? [], ...artifact, seed: job.id, now: new Date() });
    for (const problem of problems) log.warn({ artifact: loaded.id, problem }, "a lesson could not be read; skipped");
    const input = builderInput(loaded, chosen.map(({ lesson }) => ({ title: lesson.title, text: lesson.body })));
    // An accepted template (.factory/prompts/builder.md on the base branch) replaces the contract's.
    const override = await acceptedTemplate((path, ref) => store.port.readFile(path, ref), artifact.baseBranch as string, "builder");
    if (override.problem) log.warn({ artifact: loaded.id, problem: override.problem }, "the builder's prompt template was not used");
    const contract = override.template ? { ...ctx.contract, prompt: override.template } : ctx.contract;
    const prompt = renderBuilderPrompt(contract, input, `${job.owner}/${job.repo}`);
    const timeoutMs = Math.min(choice.timeoutMinutes * 60_000, spec.timeoutSeconds * 1000);
    log.info({ artifact: loaded.id, job: job.id, harness: harness.name, timeoutMs }, "build: running the harness");
    const run = await runHarness({ box: ctx.box, env: ctx.env, choice, harness, place: workspace, prompt, timeoutMs, signal, image: job.config.cells.image, maxOutputBytes: spec.budget.outputBytes ?? 1_000_000 });
    const { result, refused, missing } = run;
    if (refused.length) log.warn({ artifact: loaded.id, refused }, "harness environment: variables not passed (not allowed by FACTORY_HARNESS_ENV, or the app's own secrets)");
    if (missing.length) log.warn({ artifact: loaded.id, missing }, "harness environment: variables requested but not set on this runner");
    const tail = lastLines(result, tailLines);

    // Cut short by a shutdown, not a person: the queue hands the job back to run again.
    if (result.cancelled && shuttingDown(signal)) throw new Error("the process is shutting down; the job goes back to the queue");
    if (result.cancelled) return fail("The build was cancelled (`/factory stop`); nothing was pushed.", tail);
    const problem = harnessProblem(run, harness, timeoutMs);
    if (problem) return fail(`${problem}${result.spawnError ? "" : "; nothing was pushed."}`, result.spawnError ? [] : tail);

    await workspace.commitLeftovers(`${artifact.title}\n\nChanges made by the ${harness.name} harness for ${loaded.id}.`);
    const commits = await workspace.newCommits();
    if (commits.length === 0) return fail("The harness produced no change: it exited 0 without editing or committing anything.", tail);

    const stat = await workspace.diffStat();
    const cost = run.cost;
    const summary: BuildSummary = {
      harness: harness.name,
      ...(choice.model ? { model: choice.model } : {}),
      runner: "local",
      durationMs: result.durationMs,
      headSha: (commits[commits.length - 1] as { sha: string }).sha,
      commits,
      files: stat.files,
      insertions: stat.insertions,
      deletions: stat.deletions,
      netLines: stat.insertions - stat.deletions,
      ...(cost !== undefined ? { costUsd: cost } : {}),
      exitCode: 0,
      lastLines: tail,
      ...(refused.length ? { refusedEnv: refused } : {}),
      ...(chosen.length ? { lessons: chosen.map(({ lesson }) => lesson.id) } : {}),
      prompt: { template: override.template ? override.path : `cells/${ctx.contract.name}/prompt.md`, digest: templateDigest(contract.prompt ?? "") },
    };
    // The summary is kept with the job before the push, which cannot be taken back: an attempt after a crash finds it.
    await ctx.save?.({ pushed: summary });
    try {
      await workspace.push(await ctx.token());
    } catch (error) {
      // Final, whoever tries: reported once, not a worker failure that would run the harness a second time.
      const refused = workflowRefusal(error);
      if (!refused) throw error;
      return fail(refused, tail);
    }
    return { outcome: "completed", summary };
  } finally {
    await workspace.remove();
  }
}

/**
 * Records a build job's result on the PR, judged against the artifact as loaded now:
 * the summary (checked against the builder's contract) or the failure. A result for
 * a job the artifact no longer runs (stopped, retried, pushed over) is recorded for
 * what it cost and said plainly, but moves nothing.
 */
export async function recordBuild(ctx: Pick<JobContext, "store" | "contract" | "log">, loaded: LoadedArtifact, jobId: string, result: BuildResult): Promise<LoadedArtifact> {
  const { store } = ctx;
  const pr = loaded.artifact.pr as number;
  const key = `${jobId}:done`;
  const late = loaded.artifact.running?.job !== jobId || loaded.artifact.status !== "active";
  let record: SignedRecord;
  let body: string;
  if (result.outcome === "failed") {
    record = store.record(loaded, "stage.failed", { stage: "build", reason: result.reason, job: jobId }, key);
    body = stageFailedView("build", result.reason, [], result.lines);
  } else {
    const checked = checkOutput(ctx.contract, result.summary);
    record = checked.ok
      ? store.record(loaded, "stage.completed", { stage: "build", summary: buildLine(result.summary), output: result.summary as unknown as Record<string, unknown>, job: jobId }, key)
      : store.record(loaded, "stage.failed", { stage: "build", reason: "The build summary does not match `cells/builder/output.schema.json`", job: jobId }, key);
    body = checked.ok ? buildSummaryView(result.summary) : stageFailedView("build", "The build summary does not match `cells/builder/output.schema.json`:", checked.problems);
    ctx.log.info({ artifact: loaded.id, commits: result.summary.commits.length, files: result.summary.files.length, ms: result.summary.durationMs, late }, checked.ok ? "build: summary posted" : "build: summary broke its contract");
  }
  if (late) body = `${body}\n\n${lateNote(loaded, jobId)}`;
  await store.port.createComment(pr, fitBody(body, [store.block(record)]));
  return withRecord(loaded, record);
}

/** Why a job's result arrived to an artifact that moved on: what happened since it started. */
function lateNote(loaded: LoadedArtifact, jobId: string): string {
  const { artifact } = loaded;
  const why = artifact.status === "stopped" ? "the artifact was stopped" : artifact.status === "done" ? "the line is done" : artifact.running ? `job \`${artifact.running.job}\` runs now` : `the artifact is at **${artifact.stage}** now`;
  const pushed = loaded.records.some((r) => r.kind === "stage.started" && r.data.job === jobId && r.data.runner === "local");
  return `> **Late result.** Build job \`${jobId}\` finished after ${why}, so this result moves nothing${pushed ? "; anything it pushed stays on the branch for the next verify" : "; its commits were not pushed"}.`;
}

function buildLine(s: BuildSummary): string {
  return `${s.commits.length} commit${s.commits.length === 1 ? "" : "s"}, ${s.files.length} file${s.files.length === 1 ? "" : "s"}, +${s.insertions}/-${s.deletions} by ${s.harness}`;
}

