import { advance } from "../stages/advance.js";
import { hasLabel, sameLabel } from "../line/labels.js";
import { reviseRequest, runIntake } from "../stages/intake/run-intake.js";
import { withRecord } from "../state/artifact-store.js";
import type { SignedRecord } from "../state/records.js";
import { cancelRunning, looksLikeFactory, type EventContext } from "./context.js";
import { mayMutate } from "./commands/registry.js";
import type { EventOf } from "./line-event.js";

/**
 * `issues.labeled` with the intake label starts intake; `issues.edited` on an
 * open issue that carries it picks up a request that was waiting for criteria.
 */
export async function handleIntake(ctx: EventContext, event: EventOf<"intake">): Promise<void> {
  const { issue, sender, label, defaultBranch } = event.data;
  const report = looksLikeFactory(label !== undefined ? [label] : issue.labels) ? { issue: issue.number, key: event.id } : undefined;
  const config = await ctx.config(report);
  if (!config) return;
  if (label !== undefined && !sameLabel(label, config.labels.intake)) return;
  if (!hasLabel(issue.labels, config.labels.intake)) return;
  // A promotion's label is put on here, once the event is safely queued (again on a retry: adding a label it has is a no-op).
  if (event.data.promoted) await ctx.store.port.addLabels(issue.number, [config.labels.intake]);

  const { outcome, loaded } = await runIntake(
    ctx.store,
    config,
    {
      issue: { number: issue.number, title: issue.title, body: issue.body, author: issue.author, labels: issue.labels },
      requestedBy: sender,
      defaultBranch,
      key: event.id,
    },
    ctx.log,
  );
  // An open artifact's issue edited: its goal and criteria follow (and, past an approved plan with the scope gate on, back to approval).
  if (outcome === "already-open" && event.data.action === "edited") {
    // Only a writer's edit changes an artifact: the builder and the verifier work from its goal and criteria,
    // and a blocked or stopped one resumes from them on a writer's `/factory retry`.
    if (!mayMutate(config, await ctx.store.port.permission(sender))) {
      ctx.log.info({ artifact: loaded.id, by: sender }, "intake: an edit by someone without a writer's role; the artifact keeps its goal and criteria");
      return;
    }
    const record = await reviseRequest(ctx.store, config, loaded, { title: issue.title, body: issue.body, by: sender, key: event.id });
    if (record) {
      await cancelRevised(ctx, record);
      await advance(ctx.store, config, ctx.line, withRecord(loaded, record), event.id, { sync: true });
      await ctx.changed(config, issue.number);
    }
    return;
  }
  // This event's record already there: an earlier try (a lost answer, a crash) began; this one finishes it, the scout and the views
  // (and the cancel of the job a revision sent back to approval: the record is written first, so the job's result arrives late).
  if (outcome === "duplicate") for (const r of loaded.records.filter((x) => x.key === event.id)) await cancelRevised(ctx, r);
  if (outcome === "opened" || outcome === "duplicate") await advance(ctx.store, config, ctx.line, issue.number, event.id, { sync: outcome === "duplicate" });
  if (outcome === "opened" || outcome === "needs-criteria") await ctx.changed(config, issue.number);
}

/** Cancels the job a revision sent back to approval named (`cancels`); cancelling one already ended is harmless. */
async function cancelRevised(ctx: EventContext, record: SignedRecord): Promise<void> {
  if (record.kind === "artifact.revised" && record.data.cancels) await cancelRunning(ctx.deps, ctx.store, record.data.cancels);
}
