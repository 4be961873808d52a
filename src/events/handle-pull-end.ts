import { contractFor } from "../cells/contracts.js";
import { advance } from "../stages/advance.js";
import { runAnalyst } from "../stages/analyst/run-analyst.js";
import { cleanText } from "../line/text.js";
import { withRecord } from "../state/artifact-store.js";
import { cutEscaped, escapedLength } from "../state/codec.js";
import { fitBody } from "../views/render.js";
import { mayMutate } from "./commands/registry.js";
import { alreadyDone, cancelRunning, type EventContext } from "./context.js";
import { placeReleaseNote } from "../stages/ship/release-note.js";
import { repositoryLockKey, targetIssue, type EventOf } from "./line-event.js";

/**
 * A review record holds the whole review, within a budget counted as the text takes
 * room in the hidden record (after escaping), so the record always fits its comment:
 * later inline comments are counted, not kept.
 */
export function reviewRecord(
  by: string,
  review: { id: number; html_url: string; body: string | null },
  comments: ReadonlyArray<{ path: string; line: number | null; body: string; url: string }>,
  limit = 30_000,
): { by: string; review: number; url: string; body: string; comments: Array<{ path: string; line: number | null; body: string; url: string }> } {
  const kept: Array<{ path: string; line: number | null; body: string; url: string }> = [];
  const said = cutEscaped(cleanText(review.body ?? ""), 8_000);
  let size = escapedLength(said);
  for (const c of comments.slice(0, 100)) {
    const comment = { ...c, path: cutEscaped(c.path, 300), body: cutEscaped(cleanText(c.body), 2_000), url: cutEscaped(c.url, 500) };
    size += escapedLength(comment.body) + escapedLength(comment.path) + escapedLength(comment.url) + 40;
    if (size > limit) break;
    kept.push(comment);
  }
  const left = comments.length - kept.length;
  const body = `${said}${left > 0 ? `\n\n(${left} more inline comment${left === 1 ? "" : "s"} on the PR, not repeated here)` : ""}`;
  return { by, review: review.id, url: cutEscaped(review.html_url, 500), body, comments: kept };
}

/**
 * A review that requests changes, from someone with write access, sends the artifact
 * back to build with the whole review (its body and every inline comment) batched as
 * the builder's feedback. Approvals and comments are conversation: they do not.
 */
export async function handleReview(ctx: EventContext, event: EventOf<"review">): Promise<void> {
  const { store } = ctx;
  const { pr, headRef, review } = event.data;
  const config = await ctx.config();
  if (!config || !headRef.startsWith(config.branchPrefix)) return;
  const issue = targetIssue(event);
  let loaded = await store.load(issue);
  if (await alreadyDone(ctx, config, loaded, event.id, event.id)) return;
  if (loaded.artifact.pr !== pr || loaded.artifact.status === "done") return;
  if (!mayMutate(config, await store.port.permission(review.by))) {
    ctx.log.info({ artifact: loaded.id, reviewer: review.by }, "a review requesting changes from someone without write access: recorded by GitHub, not acted on");
    return;
  }
  const comments = await store.port.reviewComments(pr, review.id);
  const record = store.record(loaded, "review.changes_requested", reviewRecord(review.by, { id: review.id, html_url: review.htmlUrl, body: review.body }, comments), event.id);
  await cancelRunning(ctx.deps, store, loaded.artifact.running);
  const round = loaded.artifact.reviewRounds + 1;
  await store.port.createComment(
    pr,
    fitBody(`### Changes requested by @${review.by}\n\nBack to **build** (review round ${round}) with the review and its ${comments.length} inline comment${comments.length === 1 ? "" : "s"} as the builder's feedback.`, [store.block(record)]),
  );
  loaded = withRecord(loaded, record);
  await advance(store, config, ctx.line, loaded, event.id, { sync: true });
  await ctx.changed(config, issue);
}

/** Tries of a merge's closed event that wait for GitHub to answer the release note's writes; the next goes on without it. */
const RELEASE_NOTE_TRIES = 3;

/**
 * Merged or closed: the analyst's post-run note, once. A merge (by `/factory ship` or
 * by a person) first places the release note where `package.changelog` says; that is
 * done here, on the merge's own event, so a ship whose process died after the merge
 * leaves nothing undone, and done again after a crash it adds nothing twice.
 */
export async function handlePullClosed(ctx: EventContext, event: EventOf<"pull.closed">): Promise<void> {
  const { store } = ctx;
  const { pr, headRef, merged, endedAt, defaultBranch } = event.data;
  const config = await ctx.config();
  const contract = contractFor(ctx.deps.contracts, "analyst");
  if (!config || !contract || !headRef.startsWith(config.branchPrefix)) return;
  const issue = targetIssue(event);
  const loaded = await store.load(issue);
  if (loaded.artifact.pr !== pr) return;
  if (await alreadyDone(ctx, config, loaded, event.id, event.id)) return;
  if (loaded.records.some((r) => r.kind === "run.ended")) return;
  await cancelRunning(ctx.deps, store, loaded.artifact.running);
  // Before this version, the ship placed the note itself and said where in its record.
  const placedByShip = loaded.records.some((r) => r.kind === "ship.merged" && r.data.note !== undefined);
  const releaseNote =
    merged && config.package.changelog !== "none" && !placedByShip
      ? await ctx.deps.locks.run(repositoryLockKey(event.owner, event.repo, "release-notes"), (lease) => placeReleaseNote(store.port, config, loaded, () => lease.check(), ctx.attempt >= RELEASE_NOTE_TRIES))
      : undefined;
  const learnLock = <T>(fn: (check: () => Promise<void>) => Promise<T>) => ctx.deps.locks.run(repositoryLockKey(event.owner, event.repo, "learn"), (lease) => fn(() => lease.check()));
  const { record } = await runAnalyst(store, config, contract, loaded, { merged, endedAt, defaultBranch, ...(releaseNote ? { releaseNote } : {}) }, event.id, learnLock);
  await advance(store, config, ctx.line, withRecord(loaded, record), event.id, { sync: true });
  await ctx.changed(config, issue);
}
