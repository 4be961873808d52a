import { z } from "zod";
import { contractFor } from "../cells/contracts.js";
import { cloneUrl, Workspace } from "../cells/workspace.js";
import { gitToken } from "../github/git-token.js";
import { advance } from "../stages/advance.js";
import { collectWorkflowRun, jobFromRunTitle } from "../stages/build/actions-runner.js";
import { recordBuild, type BuildResult, type BuildSummary } from "../stages/build/run-build.js";
import { runVerify } from "../stages/verify/run-verify.js";
import type { Evidence } from "../stages/verify/verdict.js";
import { withRecord } from "../state/artifact-store.js";
import { stageFailedView } from "../views/comments.js";
import { fitBody } from "../views/render.js";
import { alreadyDone, type EventContext } from "./context.js";
import { PermanentFailure } from "../line/failures.js";
import { targetIssue, type EventOf } from "./line-event.js";

const buildResult = z.union([
  z.object({ outcome: z.literal("completed"), summary: z.record(z.string(), z.unknown()) }),
  z.object({ outcome: z.literal("failed"), reason: z.string().max(5000), lines: z.array(z.string()).max(500) }),
]);
const verifyResult = z.object({ sha: z.string().min(7), evidence: z.array(z.record(z.string(), z.unknown())).max(50) });

/**
 * A local job finished. Its result is judged here, holding the artifact's lock, on
 * the artifact as it is now: a build that ends after a person's stop, retry or push
 * is recorded for what it cost and says so, but moves nothing; a verifier's results
 * count only for the verify run that asked for them.
 */
export async function handleJobDone(ctx: EventContext, event: EventOf<"job.done">): Promise<void> {
  const { store } = ctx;
  const { job, cell, result } = event.data;
  const config = await ctx.config();
  if (!config) return;
  const issue = targetIssue(event);
  let loaded = await store.load(issue);
  if (await alreadyDone(ctx, config, loaded, `${job}:done`, job)) return;
  if (cell === "builder") {
    const contract = contractFor(ctx.deps.contracts, "build");
    const parsed = buildResult.safeParse(result);
    if (!contract) throw new PermanentFailure("no contract for the build stage under cells/");
    if (!parsed.success) throw new PermanentFailure(`build job ${job} reported a result the line cannot read: ${parsed.error.issues[0]?.message}`);
    const build = parsed.data.outcome === "completed" ? { outcome: "completed" as const, summary: parsed.data.summary as unknown as BuildSummary } : parsed.data;
    loaded = await recordBuild({ store, contract, log: ctx.log }, loaded, job, build satisfies BuildResult);
  } else {
    if (loaded.artifact.running?.job !== job || loaded.artifact.stage !== "verify" || loaded.artifact.status !== "active") {
      ctx.log.info({ artifact: loaded.id, job, stage: loaded.artifact.stage, status: loaded.artifact.status }, "verify commands finished for a verify run that is over; their results are not used");
      return;
    }
    const parsed = verifyResult.safeParse(result);
    if (!parsed.success) throw new PermanentFailure(`verify job ${job} reported a result the line cannot read: ${parsed.error.issues[0]?.message}`);
    const record = await runVerify(store, config, ctx.line, loaded, `${job}:done`, { sha: parsed.data.sha, evidence: parsed.data.evidence as unknown as Evidence[], fresh: true });
    if (!record) return;
    loaded = withRecord(loaded, record);
  }
  await advance(store, config, ctx.line, loaded, job, { sync: true });
  await ctx.changed(config, issue);
}

/** A job whose worker failed twice blocks its artifact, once, with the reason. */
export async function handleJobDead(ctx: EventContext, event: EventOf<"job.dead">): Promise<void> {
  const { store } = ctx;
  const { job, cell, reason } = event.data;
  const config = await ctx.config();
  if (!config) return;
  const issue = targetIssue(event);
  const loaded = await store.load(issue);
  if (await alreadyDone(ctx, config, loaded, `${job}:done`, job)) return;
  const stage = cell === "verifier" ? "verify" : "build";
  const text = `The worker running ${stage} job \`${job}\` failed twice (${reason.slice(0, 300)}), so the artifact is blocked rather than retried again.`;
  const record = store.record(loaded, "stage.failed", { stage, reason: text, job }, `${job}:done`);
  await store.port.createComment(loaded.artifact.pr ?? issue, fitBody(stageFailedView(stage, text, []), [store.block(record)]));
  await advance(store, config, ctx.line, withRecord(loaded, record), job, { sync: true });
  await ctx.changed(config, issue);
}

/**
 * A `factory-cell.yml` run completed (the Actions runner): its report is collected
 * and judged the same way as a local job's result.
 */
export async function handleCellRun(ctx: EventContext, event: EventOf<"cell.run">): Promise<void> {
  const { store } = ctx;
  const config = await ctx.config();
  const contract = contractFor(ctx.deps.contracts, "build");
  if (!config || !contract) return;
  const { run, conclusion, title, htmlUrl } = event.data;
  const job = jobFromRunTitle(title)?.job;
  const current = await store.load(targetIssue(event));
  if (job && (await alreadyDone(ctx, config, current, `${job}:done`, title))) return;
  const publish = async (bundle: Buffer, head: string) => {
    const token = await gitToken(store.port.octokit, event, "write");
    await Workspace.publishBundle({ url: cloneUrl(ctx.deps.env, event.owner, event.repo), token, branch: current.artifact.branch as string, bundle, head, parent: ctx.deps.workRoot });
  };
  const loaded = await collectWorkflowRun({ store, contract, log: ctx.log, publish }, current, { id: run, conclusion, title, htmlUrl }, config.cells.build.harness ?? "command", config.cells.build.model);
  if (!loaded) return;
  await advance(store, config, ctx.line, loaded, title, { sync: true });
  await ctx.changed(config, targetIssue(event));
}
