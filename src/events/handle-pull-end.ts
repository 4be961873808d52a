import type { Context } from "probot";
import { contractFor } from "../cells/contracts.js";
import { advance } from "../stages/advance.js";
import { runAnalyst } from "../stages/analyst/run-analyst.js";
import { withRecord } from "../state/artifact-store.js";
import { fitBody } from "../views/render.js";
import { mayMutate } from "./commands/registry.js";
import { artifactIssue } from "./handle-comment.js";
import { loadConfig } from "./load-config.js";
import { cancelRunning, enqueue, lineFor, scheduleLedger, storeFor, type Deps } from "./setup.js";



/** A review record holds the whole review, shortened so the record fits its comment: later comments are counted, not kept. */
export function reviewRecord(
  by: string,
  review: { id: number; html_url: string; body: string | null },
  comments: ReadonlyArray<{ path: string; line: number | null; body: string; url: string }>,
  limit = 30_000,
): { by: string; review: number; url: string; body: string; comments: Array<{ path: string; line: number | null; body: string; url: string }> } {
  const kept: Array<{ path: string; line: number | null; body: string; url: string }> = [];
  let size = Math.min((review.body ?? "").length, 8000);
  for (const c of comments.slice(0, 100)) {
    const comment = { ...c, path: c.path.slice(0, 300), body: c.body.slice(0, 2000), url: c.url.slice(0, 500) };
    size += comment.body.length + comment.path.length + comment.url.length + 40;
    if (size > limit) break;
    kept.push(comment);
  }
  const left = comments.length - kept.length;
  const body = `${(review.body ?? "").slice(0, 8000)}${left > 0 ? `\n\n(${left} more inline comment${left === 1 ? "" : "s"} on the PR, not repeated here)` : ""}`;
  return { by, review: review.id, url: review.html_url.slice(0, 500), body, comments: kept };
}

/**
 * A review that requests changes, from someone with write access, sends the artifact
 * back to build with the whole review (its body and every inline comment) batched as
 * the builder's feedback. Approvals and comments are conversation: they do not.
 */
export function handleReview(deps: Deps) {
  return async (context: Context<"pull_request_review.submitted">): Promise<void> => {
    const { review, pull_request: pull } = context.payload;
    if (review.state.toLowerCase() !== "changes_requested" || review.user?.type === "Bot") return;
    const issue = artifactIssue(pull.head.ref);
    if (issue === undefined) return;
    enqueue(deps, context, issue, "review", async () => {
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, undefined);
      if (!config || !pull.head.ref.startsWith(config.branchPrefix)) return;
      let loaded = await store.load(issue);
      if (loaded.artifact.pr !== pull.number || loaded.artifact.keys.has(context.id) || loaded.artifact.status === "done") return;
      const login = review.user?.login ?? "";
      if (!mayMutate(config, await store.port.permission(login))) {
        context.log.info({ artifact: loaded.id, reviewer: login }, "a review requesting changes from someone without write access: recorded by GitHub, not acted on");
        return;
      }
      const comments = await store.port.reviewComments(pull.number, review.id);
      const record = store.record(loaded, "review.changes_requested", reviewRecord(login, review, comments), context.id);
      await cancelRunning(deps, store, loaded.artifact.running);
      const round = loaded.artifact.reviewRounds + 1;
      await store.port.createComment(
        pull.number,
        fitBody(`### Changes requested by @${login}\n\nBack to **build** (review round ${round}) with the review and its ${comments.length} inline comment${comments.length === 1 ? "" : "s"} as the builder's feedback.`, [store.block(record)]),
      );
      loaded = withRecord(loaded, record);
      await advance(store, config, lineFor(deps, context), loaded, context.id, { sync: true });
      scheduleLedger(deps, store, config, context.log);
    });
  };
}

/** Merged or closed: the analyst's post-run note, once. */
export function handlePullClosed(deps: Deps) {
  return async (context: Context<"pull_request.closed">): Promise<void> => {
    const { pull_request: pull, repository } = context.payload;
    const issue = artifactIssue(pull.head.ref);
    if (issue === undefined) return;
    enqueue(deps, context, issue, "post-run note", async () => {
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, undefined);
      const contract = contractFor(deps.contracts, "analyst");
      if (!config || !contract || !pull.head.ref.startsWith(config.branchPrefix)) return;
      const loaded = await store.load(issue);
      if (loaded.artifact.pr !== pull.number || loaded.records.some((r) => r.kind === "run.ended")) return;
      await cancelRunning(deps, store, loaded.artifact.running);
      const { record } = await runAnalyst(
        store,
        config,
        contract,
        loaded,
        { merged: pull.merged === true, endedAt: pull.merged_at ?? pull.closed_at ?? new Date().toISOString(), defaultBranch: repository.default_branch },
        context.id,
      );
      await advance(store, config, lineFor(deps, context), withRecord(loaded, record), context.id, { sync: true });
      scheduleLedger(deps, store, config, context.log);
    });
  };
}
