import type { Context } from "probot";
import { advance } from "../stages/advance.js";
import { runIntake } from "../stages/intake/run-intake.js";
import { loadConfig } from "./load-config.js";
import { enqueue, lineFor, looksLikeFactory, scheduleLedger, storeFor, type Deps } from "./setup.js";

type IssueContext = Context<"issues.labeled"> | Context<"issues.edited">;

/**
 * `issues.labeled` with the intake label starts intake; `issues.edited` on an
 * open issue that carries it picks up a request that was waiting for criteria.
 */
export function handleIntake(deps: Deps) {
  return async (context: IssueContext): Promise<void> => {
    const { issue, sender } = context.payload;
    if (sender.type === "Bot" || issue.pull_request || issue.state !== "open") return;
    const labels = (issue.labels ?? []).map((l) => l.name);
    const trigger = context.payload.action === "labeled" ? context.payload.label?.name : undefined;
    if (context.payload.action === "labeled" && trigger === undefined) return;
    if (labels.length === 0) return;

    enqueue(deps, context, issue.number, "intake", async () => {
      const store = await storeFor(context, deps);
      const report = looksLikeFactory(trigger !== undefined ? [trigger] : labels) ? { issue: issue.number, key: context.id } : undefined;
      const config = await loadConfig(context, store, report);
      if (!config) return;
      if (trigger !== undefined && trigger !== config.labels.intake) return;
      if (!labels.includes(config.labels.intake)) return;

      const { outcome } = await runIntake(
        store,
        config,
        {
          issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.user?.login ?? sender.login, labels },
          requestedBy: sender.login,
          defaultBranch: context.payload.repository.default_branch,
          key: context.id,
        },
        context.log,
      );
      if (outcome === "opened") await advance(store, config, lineFor(deps, context), issue.number, context.id);
      if (outcome === "opened" || outcome === "needs-criteria") scheduleLedger(deps, store, config, context.log);
    });
  };
}
