import type { Context } from "probot";
import { advance } from "../stages/advance.js";
import { withRecord } from "../state/artifact-store.js";
import { VERIFY_CHECK } from "../stages/verify/verdict.js";
import { artifactIssue } from "./handle-comment.js";
import { loadConfig } from "./load-config.js";
import { enqueue, lineFor, scheduleLedger, storeFor, type Deps } from "./setup.js";

type CheckEvent = "check_run.completed" | "check_suite.completed" | "status" | "workflow_run.completed";

/** The branch a check event is about, when it names one. */
function branchOf(context: Context<CheckEvent>): string | undefined {
  const p = context.payload as {
    check_run?: { check_suite?: { head_branch?: string | null } | null };
    check_suite?: { head_branch?: string | null };
    branches?: Array<{ name: string }>;
    workflow_run?: { head_branch?: string | null };
  };
  return p.check_run?.check_suite?.head_branch ?? p.check_suite?.head_branch ?? p.workflow_run?.head_branch ?? p.branches?.[0]?.name ?? undefined;
}

/**
 * Evidence changed on a commit (a check run or suite finished, a status was set, a
 * workflow run ended): an artifact waiting at verify for that branch is judged
 * again. The factory's own check run is not evidence, so its events are ignored.
 * Nothing here polls: the next event brings the next evaluation.
 */
export function handleCheckEvent(deps: Deps) {
  return async (context: Context<CheckEvent>): Promise<void> => {
    const p = context.payload as { check_run?: { name?: string; app?: { slug?: string } | null }; check_suite?: { app?: { slug?: string } | null } };
    if (p.check_run?.name === VERIFY_CHECK) return;
    const branch = branchOf(context);
    if (!branch) return;
    const issue = artifactIssue(branch);
    if (issue === undefined) return;
    enqueue(deps, context, issue, "verify on a check event", async () => {
      // The app's own check runs are not evidence (its login may need a request: not on the webhook's path).
      const own = (await deps.botLogin()).replace(/\[bot\]$/, "");
      if (p.check_run?.app?.slug === own || p.check_suite?.app?.slug === own) return;
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, undefined);
      if (!config || !branch.startsWith(config.branchPrefix)) return;
      const loaded = await store.load(issue);
      if (loaded.artifact.stage !== "verify" || loaded.artifact.status !== "active" || loaded.artifact.branch !== branch) return;
      if (await advance(store, config, lineFor(deps, context), loaded, context.id)) scheduleLedger(deps, store, config, context.log);
    });
  };
}

/**
 * A push to an artifact's PR: a verdict for an older commit is stale. Past verify,
 * the artifact goes back to verify at the new head; the tracking comment says so.
 */
export function handleSynchronize(deps: Deps) {
  return async (context: Context<"pull_request.synchronize">): Promise<void> => {
    const { pull_request: pull } = context.payload;
    const issue = artifactIssue(pull.head.ref);
    if (issue === undefined) return;
    enqueue(deps, context, issue, "stale verdict", async () => {
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, undefined);
      if (!config || !pull.head.ref.startsWith(config.branchPrefix)) return;
      let loaded = await store.load(issue);
      const { artifact } = loaded;
      if (artifact.pr !== pull.number || artifact.verifiedSha === undefined || artifact.verifiedSha === pull.head.sha || artifact.running) return;
      if (artifact.keys.has(context.id)) return;
      const record = store.record(loaded, "verify.stale", { sha: pull.head.sha, previous: artifact.verifiedSha }, context.id);
      await store.port.createComment(
        pull.number,
        `### Verdict stale\n\nThe verdict was for \`${artifact.verifiedSha.slice(0, 7)}\`; the head is now \`${pull.head.sha.slice(0, 7)}\`, so it no longer counts.\n\n${store.block(record)}`,
      );
      loaded = withRecord(loaded, record);
      await advance(store, config, lineFor(deps, context), loaded, context.id, { sync: true });
      scheduleLedger(deps, store, config, context.log);
    });
  };
}
