import type { FactoryConfig } from "../config/schema.js";
import type { ListedIssue } from "../github/repo-port.js";
import { advance } from "../stages/advance.js";
import { runIntake } from "../stages/intake/run-intake.js";
import type { EventContext } from "./context.js";

/**
 * Promotes a candidate to intake: the intake label goes on the issue (so people see
 * it, and the labelled webhook that follows finds the artifact open), and intake runs
 * now for the person who asked, then the scout. `key` makes it idempotent.
 */
export async function promoteCandidate(ctx: EventContext, config: FactoryConfig, issue: ListedIssue, requestedBy: string, defaultBranch: string, key: string): Promise<"opened" | "needs-criteria" | "already-open" | "duplicate"> {
  const { store } = ctx;
  await store.port.addLabels(issue.number, [config.labels.intake]);
  const labels = [...new Set([...issue.labels, config.labels.intake])];
  const { outcome } = await runIntake(
    store,
    config,
    { issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.authorLogin ?? "ghost", labels }, requestedBy, defaultBranch, key },
    ctx.log,
  );
  if (outcome === "opened" || outcome === "duplicate") await advance(store, config, ctx.line, issue.number, key, { sync: outcome === "duplicate" });
  await ctx.changed(config, issue.number);
  return outcome;
}
