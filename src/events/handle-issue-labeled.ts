import type { Context } from "probot";
import { runIntake } from "../stages/intake/run-intake.js";
import { refreshLedger } from "../stages/ledger/refresh-ledger.js";
import { loadConfig } from "./load-config.js";
import { guarded, storeFor, type Deps } from "./setup.js";

type IssueContext = Context<"issues.labeled"> | Context<"issues.edited">;

/**
 * `issues.labeled` with the intake label starts intake; `issues.edited` on an
 * issue that carries it picks up a request that was waiting for criteria.
 */
export function handleIntake(deps: Deps) {
  return (context: IssueContext) =>
    guarded(context, "intake", async () => {
      const { issue, sender } = context.payload;
      if (sender.type === "Bot" || issue.pull_request) return;
      const labels = (issue.labels ?? []).map((l) => l.name);
      if (context.name === "issues" && context.payload.action === "labeled" && !context.payload.label) return;
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, { issue: issue.number, key: context.id });
      if (!config) return;
      if (context.payload.action === "labeled" && context.payload.label?.name !== config.labels.intake) return;
      if (!labels.includes(config.labels.intake)) return;
      if (issue.state !== "open") return;
      const { outcome } = await runIntake(
        store,
        config,
        {
          issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.user.login, labels },
          requestedBy: sender.login,
          defaultBranch: context.payload.repository.default_branch,
          key: context.id,
        },
        context.log,
      );
      if (outcome === "opened" || outcome === "needs-criteria") await refreshLedger(store, config, context.log);
    });
}
