import type { Logger } from "probot";
import { z } from "zod";
import type { CellContract } from "../../cells/contracts.js";
import { harnessArgv, harnessFor } from "../../cells/harness.js";
import { GitError, workflowRefusal } from "../../cells/workspace.js";
import { clipLine } from "../../cells/process.js";
import type { FactoryConfig } from "../../config/schema.js";
import type { LoadedArtifact } from "../../state/artifact-store.js";
import type { GitHubStore } from "../../github/repo-port.js";
import { builderInput, renderBuilderPrompt } from "./prompt.js";
import { acceptedTemplate } from "../learn/prompt-file.js";
import { recordBuild } from "./run-build.js";

/** The workflow a repository adopts from `templates/workflows/factory-cell.yml`. */
export const CELL_WORKFLOW = "factory-cell.yml";
/** The artifact the workflow uploads, and the report inside it. */
export const CELL_ARTIFACT = "factory-cell-output";
export const CELL_REPORT = "output.json";
/** The commits the run made, as a git bundle: the app pushes them, so that CI runs on them (a workflow token's push starts none). */
export const CELL_BUNDLE = "commits.bundle";
/** GitHub caps a dispatch's inputs at 65,535 characters in all; the prompt gets most of it. */
const PROMPT_INPUT_LIMIT = 48_000;

/** `run-name: factory <cell> <job>`: how a `workflow_run` event names the job it ran. */
export function jobFromRunTitle(title: string | null | undefined): { cell: string; job: string } | undefined {
  const match = /^factory (\w{1,40}) ([a-z]{1,20}-\d{1,10}-[a-z0-9]{1,40})$/i.exec((title ?? "").trim());
  return match ? { cell: match[1] as string, job: match[2] as string } : undefined;
}

/** The title the cell workflow gives a run (`run-name: factory <cell> <job>`). */
export function runTitle(cell: string, job: string): string {
  return `factory ${cell} ${job}`;
}

/** The issue a job id belongs to: `build-<issue>-<hash>`. */
export function issueOfJob(job: string): number | undefined {
  const match = /^[a-z]{1,20}-(\d{1,10})-[a-z0-9]{1,40}$/i.exec(job);
  return match ? Number(match[1]) : undefined;
}

/**
 * Dispatches the cell workflow on the default branch (so the workflow that runs is
 * the reviewed one, never a copy the harness edited on the artifact branch), with
 * the artifact branch, the argv and the prompt as inputs.
 */
export async function dispatchCell(store: GitHubStore, loaded: LoadedArtifact, input: { cell: "builder"; job: string; config: FactoryConfig; contract?: CellContract }): Promise<void> {
  const { artifact } = loaded;
  const choice = input.config.cells.build;
  const harness = harnessFor(choice);
  if (!harness) throw new Error("no harness configured");
  const argv = harnessArgv(harness.argv, { prompt: "{prompt}", promptFile: "{prompt_file}", workspace: "{workspace}", outputFile: "{output_file}", model: choice.model });
  // The accepted template on the base branch, as the local runner uses it.
  const override = input.contract ? await acceptedTemplate((path, ref) => store.port.readFile(path, ref), artifact.baseBranch as string, "builder") : undefined;
  const contract = input.contract && override?.template ? { ...input.contract, prompt: override.template } : input.contract;
  let prompt = contract ? renderBuilderPrompt(contract, builderInput(loaded), store.port.fullName) : `${artifact.title}\n\n${artifact.goal}\n`;
  if (prompt.length > PROMPT_INPUT_LIMIT) prompt = `${prompt.slice(0, PROMPT_INPUT_LIMIT)}\n\n[The prompt was cut to fit a workflow dispatch.]\n`;
  await store.port.dispatchWorkflow(CELL_WORKFLOW, artifact.baseBranch as string, {
    job: input.job,
    cell: input.cell,
    branch: artifact.branch as string,
    argv: JSON.stringify(argv),
    harness: harness.name,
    commits: String(harness.commits),
    timeout_minutes: String(choice.timeoutMinutes),
    prompt,
  });
}

/** What the workflow writes to `output.json`; anything else there fails the stage. */
export const cellReport = z.object({
  job: z.string(),
  exitCode: z.number().int().nullable(),
  timedOut: z.boolean(),
  durationMs: z.number().int().nonnegative(),
  headSha: z.string(),
  commits: z.array(z.object({ sha: z.string(), subject: z.string() })),
  files: z.array(z.string()),
  insertions: z.number().int().nonnegative(),
  deletions: z.number().int().nonnegative(),
  lastLines: z.array(z.string()).max(200),
  costUsd: z.number().nonnegative().optional(),
});

export interface WorkflowRunEvent {
  id: number;
  conclusion: string | null;
  title: string | null | undefined;
  htmlUrl: string;
}

/**
 * Collects an Actions-run cell when its `workflow_run` completes: downloads the
 * report artifact, checks it, and records the build summary or the failure (the
 * same way as a local job's result). A run for a job the artifact no longer waits
 * for (stopped, retried) changes nothing. Returns the artifact with the new record.
 */
export async function collectWorkflowRun(
  ctx: { store: GitHubStore; contract: CellContract; log: Logger; publish: (bundle: Buffer, head: string) => Promise<void> },
  loaded: LoadedArtifact,
  run: WorkflowRunEvent,
  harness: string,
  model: string | undefined,
): Promise<LoadedArtifact | undefined> {
  const named = jobFromRunTitle(run.title);
  if (!named) return undefined;
  const { store, log } = ctx;
  const { artifact } = loaded;
  // A run the artifact never started is none of its business; one it started and moved on from is recorded as late.
  const started = loaded.records.some((r) => r.kind === "stage.started" && r.data.job === named.job);
  if (artifact.keys.has(`${named.job}:done`) || !started) return undefined;
  const fail = (reason: string, lines: string[] = []) => {
    log.warn({ artifact: loaded.id, job: named.job, run: run.id, reason }, "build (actions) failed");
    return recordBuild(ctx, loaded, named.job, { outcome: "failed", reason, lines });
  };

  if (run.conclusion === "cancelled") return fail(`The workflow run ${run.htmlUrl} was cancelled; nothing it did counts.`);
  const files = await store.port.workflowArtifactFiles(run.id, CELL_ARTIFACT, [CELL_REPORT, CELL_BUNDLE]);
  const text = files?.get(CELL_REPORT)?.toString("utf8");
  if (text === undefined) return fail(`The workflow run ${run.htmlUrl} ended \`${run.conclusion ?? "without a conclusion"}\` and uploaded no \`${CELL_ARTIFACT}\` artifact; see its log.`);
  let report;
  try {
    report = cellReport.parse(JSON.parse(text));
  } catch (error) {
    return fail(`The workflow run ${run.htmlUrl} uploaded an \`${CELL_REPORT}\` the factory cannot read: ${(error as Error).message.split("\n")[0]}`);
  }
  // The report is the workflow's, not ours: keep what a comment and a record can hold.
  report.lastLines = report.lastLines.map((l) => clipLine(l));
  if (report.job !== named.job) return fail(`The workflow run ${run.htmlUrl} reported job \`${report.job}\`, not \`${named.job}\`.`);
  if (report.timedOut) return fail(`The harness ran past its timeout in ${run.htmlUrl} and was stopped; nothing was pushed.`, report.lastLines);
  if (report.exitCode !== 0) return fail(`The harness exited with code ${String(report.exitCode)} in ${run.htmlUrl}; nothing was pushed.`, report.lastLines);
  if (report.commits.length === 0) return fail("The harness produced no change: it exited 0 without editing or committing anything.", report.lastLines);
  if (run.conclusion !== "success") return fail(`The workflow run ${run.htmlUrl} ended \`${run.conclusion ?? "without a conclusion"}\` after the harness finished; nothing of it counts.`, report.lastLines);
  // The run's commits are pushed by the app, and only while the artifact still waits for this job: a late result moves nothing.
  const late = artifact.running?.job !== named.job || artifact.status !== "active";
  if (!late) {
    const bundle = files?.get(CELL_BUNDLE);
    if (!bundle) {
      return fail(`The workflow run ${run.htmlUrl} uploaded no \`${CELL_BUNDLE}\`: update \`.github/workflows/${CELL_WORKFLOW}\` from the factory's template. The run must not push (what a workflow's token pushes starts no CI); the app pushes the commits it uploads.`, report.lastLines);
    }
    try {
      await ctx.publish(bundle, report.headSha);
    } catch (error) {
      const refused = workflowRefusal(error);
      if (refused) return fail(refused, report.lastLines);
      if (!(error instanceof GitError) || /Could not resolve host|Connection|timed out|502|503|504/i.test(error.message)) throw error;
      return fail(`The commits of ${run.htmlUrl} could not be pushed to \`${artifact.branch ?? ""}\`: ${error.message.split("\n")[0]?.slice(0, 300)}. \`/factory build\` builds again on the branch as it is.`, report.lastLines);
    }
  }
  return recordBuild(ctx, loaded, named.job, {
    outcome: "completed",
    summary: {
      harness,
      ...(model ? { model } : {}),
      runner: "actions",
      durationMs: report.durationMs,
      headSha: report.headSha,
      commits: report.commits,
      files: report.files,
      insertions: report.insertions,
      deletions: report.deletions,
      netLines: report.insertions - report.deletions,
      ...(report.costUsd !== undefined ? { costUsd: report.costUsd } : {}),
      exitCode: 0,
      lastLines: report.lastLines,
    },
  });
}
