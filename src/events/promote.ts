import { createHash } from "node:crypto";
import type { FactoryConfig } from "../config/schema.js";
import type { ListedIssue } from "../github/repo-port.js";
import type { EventContext } from "./context.js";
import { lineEvent } from "./line-event.js";

/**
 * Promotes a candidate to intake: an intake event for the issue goes into the inbox,
 * for the person who asked, then the intake label goes on the issue (so people see
 * it). In that order: labelling first and dying before the push left an issue
 * labelled that nothing would take in (the label's webhook is the app's own, and
 * ignored); dying after the push, the event's intake puts the label on. Intake then
 * runs as it does for a label, under the issue's own lock (two promotions of the same
 * issue, or a promotion and the label's own webhook, open one artifact). `key` names
 * the event, so a retry pushes the same one.
 */
export async function promoteCandidate(
  ctx: EventContext,
  config: FactoryConfig,
  origin: { installationId: number; owner: string; repo: string },
  issue: ListedIssue,
  requestedBy: string,
  defaultBranch: string,
  key: string,
): Promise<void> {
  await ctx.deps.inbox.push(
    lineEvent("intake", {
      id: `promote-${issue.number}-${createHash("sha256").update(key).digest("hex").slice(0, 16)}`,
      installationId: origin.installationId,
      owner: origin.owner,
      repo: origin.repo,
      target: { issue: issue.number },
      what: `#${issue.number} promoted from the demand queue for @${requestedBy}`.slice(0, 200),
      data: {
        action: "labeled",
        label: config.labels.intake,
        issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.authorLogin ?? "ghost", labels: [...new Set([...issue.labels, config.labels.intake])].slice(0, 100), state: "open" },
        sender: requestedBy,
        defaultBranch,
        promoted: true,
      },
    }),
  );
  // Shown at once, and counted in flight by the next ledger refresh before its intake has run.
  await ctx.store.port.addLabels(issue.number, [config.labels.intake]);
}
