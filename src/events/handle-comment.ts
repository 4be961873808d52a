import { withRecord, type ArtifactStore, type LoadedArtifact } from "../state/artifact-store.js";
import type { SignedRecord } from "../state/records.js";
import { advance } from "../stages/advance.js";
import { syncViews } from "../stages/sync-views.js";
import { fitBody } from "../views/render.js";
import { findCommand, mayMutate, type CommandResult } from "./commands/registry.js";
import { cancelRunning, type EventContext } from "./context.js";
import { issueFromBranch } from "./from-webhook.js";
import type { EventOf } from "./line-event.js";

/**
 * `/factory …` commands in issue and PR comments. Each command's key is its comment
 * id and position, so a redelivered comment is answered once; a PR comment counts
 * for the artifact only when the artifact's own record names that PR.
 */
export async function handleCommand(ctx: EventContext, event: EventOf<"command">): Promise<void> {
  const { store } = ctx;
  const { comment, thread, onPull, sender, commands } = event.data;
  const config = await ctx.config({ issue: thread, key: `comment:${comment}` });
  if (!config) return;
  const { port } = store;

  const artifactIssue = onPull ? issueFromBranch(config.branchPrefix, await port.pullHeadRef(thread)) : thread;
  let artifact = artifactIssue !== undefined ? await store.load(artifactIssue) : undefined;
  if (artifact && onPull && artifact.artifact.pr !== thread) artifact = undefined;
  // Answers to commands outside any artifact are recorded on the thread itself, for idempotency.
  let target = artifact ?? (await store.load(thread));

  const mine = (key: string) => key.startsWith(`comment:${comment}:`);
  const pending = commands.map((command, index) => ({ command, key: `comment:${comment}:${index}` })).filter(({ key }) => !target.artifact.keys.has(key));
  if (pending.length > 0) await port.react(comment, "eyes");

  let changed = false;
  for (const { command, key } of pending) {
    const spec = findCommand(command.name);
    let result: CommandResult;
    if (!spec) {
      result = { kind: "answer", reply: `\`/factory ${command.name.slice(0, 40)}\` is not a command I know. \`/factory help\` lists them.`, outcome: "rejected" };
    } else if (spec.mutates && !mayMutate(config, await port.permission(sender))) {
      result = {
        kind: "answer",
        reply: `Sorry @${sender}, \`/factory ${spec.name}\` changes the artifact, so it needs one of these roles on this repository: ${config.commands.allowedRoles.join(", ")}. A maintainer can run it for you.`,
        outcome: "refused",
      };
    } else {
      result = spec.run({ args: command.args, actor: sender, loaded: target, config, sandbox: await ctx.deps.box.status() });
    }
    const record = recordFor(store, target, result, command.name, sender, key);
    // A stop, or a new run of a stage, ends the job that is running: its result would no longer count.
    if (result.kind === "stop" || result.kind === "retry") await cancelRunning(ctx.deps, store, target.artifact.running);
    await port.createComment(thread, fitBody(result.reply, [store.block(record)]));
    target = withRecord(target, record);
    if (result.kind !== "answer") changed = true;
  }
  // Commands of this comment answered by an earlier try (a lost answer, a crash): this one finishes what it began, the views and the stage a retry asked for.
  const resumed = pending.length < commands.length && target.records.some((r) => mine(r.key) && r.kind !== "command.answered");
  if (!(changed || resumed) || target.artifact.pr === undefined) return;
  const labels = target.issue === thread && !resumed ? event.data.labels : await port.issueLabels(target.issue);
  await syncViews(store, config, target, target.artifact, labels, { title: target.artifact.title, missing: [] });
  const retry = [...target.records].reverse().find((r) => (r.kind === "command.retry" || r.kind === "verify.accepted") && mine(r.key));
  if (retry) await advance(store, config, ctx.line, target, retry.key, { sync: resumed });
  await ctx.changed(config, target.issue);
}

function recordFor(store: ArtifactStore, loaded: LoadedArtifact, result: CommandResult, name: string, by: string, key: string): SignedRecord {
  switch (result.kind) {
    case "stop":
      return store.record(loaded, "command.stop", { by }, key);
    case "retry":
      return store.record(loaded, "command.retry", { by, stage: result.stage }, key);
    case "accept":
      return store.record(loaded, "verify.accepted", { by, sha: result.sha }, key);
    case "answer":
      return store.record(loaded, "command.answered", { by, command: name.slice(0, 50), outcome: result.outcome }, key);
  }
}
