import { advance } from "../stages/advance.js";
import { withRecord } from "../state/artifact-store.js";
import { alreadyDone, begunBy, type EventContext } from "./context.js";
import { targetIssue, type EventOf } from "./line-event.js";

/**
 * Evidence changed on a commit (a check run or suite finished, a status was set, a
 * workflow run ended): an artifact waiting at verify for that branch is judged
 * again. The factory's own check runs are not evidence. Nothing here polls: the
 * next event brings the next evaluation.
 */
export async function handleChecks(ctx: EventContext, event: EventOf<"checks">): Promise<void> {
  const { store } = ctx;
  const own = (await ctx.deps.botLogin()).replace(/\[bot\]$/, "");
  if (event.data.appSlug === own) return;
  const issue = targetIssue(event);
  // The artifact first: most check events find it elsewhere than at verify, and cost no config read.
  const loaded = await store.load(issue);
  const begun = begunBy(loaded, event.id);
  const waiting = loaded.artifact.stage === "verify" && loaded.artifact.status === "active" && loaded.artifact.branch === event.data.branch;
  if (!waiting && !begun) return;
  const config = await ctx.config();
  if (!config || !event.data.branch.startsWith(config.branchPrefix)) return;
  if (await advance(store, config, ctx.line, loaded, event.id, { sync: begun })) await ctx.changed(config, issue);
}

/**
 * A push to an artifact's PR: a verdict for an older commit is stale. Past verify,
 * the artifact goes back to verify at the new head; the tracking comment says so.
 */
export async function handleSynchronize(ctx: EventContext, event: EventOf<"pull.synchronize">): Promise<void> {
  const { store } = ctx;
  const { pr, headRef, headSha } = event.data;
  const config = await ctx.config();
  if (!config || !headRef.startsWith(config.branchPrefix)) return;
  const issue = targetIssue(event);
  let loaded = await store.load(issue);
  const { artifact } = loaded;
  if (await alreadyDone(ctx, config, loaded, event.id, event.id)) return;
  if (artifact.pr !== pr || artifact.verifiedSha === undefined || artifact.verifiedSha === headSha || artifact.running) return;
  const record = store.record(loaded, "verify.stale", { sha: headSha, previous: artifact.verifiedSha }, event.id);
  await store.port.createComment(
    pr,
    `### Verdict stale\n\nThe verdict was for \`${artifact.verifiedSha.slice(0, 7)}\`; the head is now \`${headSha.slice(0, 7)}\`, so it no longer counts.\n\n${store.block(record)}`,
  );
  loaded = withRecord(loaded, record);
  await advance(store, config, ctx.line, loaded, event.id, { sync: true });
  await ctx.changed(config, issue);
}
