import type { Context } from "probot";
import { withRecord, type ArtifactStore, type LoadedArtifact } from "../state/artifact-store.js";
import type { SignedRecord } from "../state/records.js";
import { advance } from "../stages/advance.js";
import { syncViews } from "../stages/sync-views.js";
import { fitBody } from "../views/render.js";
import { findCommand, mayMutate, type CommandResult } from "./commands/registry.js";
import { parseCommands } from "./commands/parse.js";
import { loadConfig } from "./load-config.js";
import { cancelRunning, enqueue, lineFor, scheduleLedger, storeFor, type Deps } from "./setup.js";

/** The artifact a factory branch names, whatever the configured prefix (`…/12-slug` → 12); the handler checks the prefix once the config is read. */
export function artifactIssue(ref: string): number | undefined {
  const prefix = /^(.*\/)\d+-[^/]*$/.exec(ref)?.[1];
  return prefix ? issueFromBranch(prefix, ref) : undefined;
}

/** `factory/12-…` → 12: a factory PR's branch names its issue. */
export function issueFromBranch(prefix: string, ref: string): number | undefined {
  if (!ref.startsWith(prefix)) return undefined;
  const match = /^(\d+)(?:-|$)/.exec(ref.slice(prefix.length));
  return match ? Number(match[1]) : undefined;
}

/**
 * `/factory …` commands in issue and PR comments. People only: the app's own
 * comments and other bots are ignored. Each command's key is its comment id and
 * position, so a redelivered comment is answered once.
 */
export function handleComment(deps: Deps) {
  return async (context: Context<"issue_comment.created">): Promise<void> => {
    const { comment, issue, sender } = context.payload;
    if (sender.type === "Bot" || comment.user?.type === "Bot") return;
    const commands = parseCommands(comment.body);
    if (commands.length === 0) return;

    enqueue(deps, context, issue.number, "command", async () => {
      const store = await storeFor(context, deps);
      const config = await loadConfig(context, store, { issue: issue.number, key: `comment:${comment.id}` });
      if (!config) return;
      const { port } = store;

      const artifactIssue = issue.pull_request
        ? issueFromBranch(config.branchPrefix, (await port.getPull(issue.number)).headRef)
        : issue.number;
      let artifact = artifactIssue !== undefined ? await store.load(artifactIssue) : undefined;
      // A PR comment counts only for the PR the artifact's own record names.
      if (artifact && issue.pull_request && artifact.artifact.pr !== issue.number) artifact = undefined;
      // Answers to commands outside any artifact are recorded on the thread itself, for idempotency.
      let target = artifact ?? (await store.load(issue.number));

      const pending = commands
        .map((command, index) => ({ command, key: `comment:${comment.id}:${index}` }))
        .filter(({ key }) => !target.artifact.keys.has(key));
      if (pending.length === 0) return;
      await port.react(comment.id, "eyes");

      let changed = false;
      let retried: string | undefined;
      for (const { command, key } of pending) {
        const spec = findCommand(command.name);
        let result: CommandResult;
        if (!spec) {
          result = { kind: "answer", reply: `\`/factory ${command.name.slice(0, 40)}\` is not a command I know. \`/factory help\` lists them.`, outcome: "rejected" };
        } else if (spec.mutates && !mayMutate(config, await port.permission(sender.login))) {
          result = {
            kind: "answer",
            reply: `Sorry @${sender.login}, \`/factory ${spec.name}\` changes the artifact, so it needs one of these roles on this repository: ${config.commands.allowedRoles.join(", ")}. A maintainer can run it for you.`,
            outcome: "refused",
          };
        } else {
          result = spec.run({ args: command.args, actor: sender.login, loaded: target, config });
        }
        const record = recordFor(store, target, result, command.name, sender.login, key);
        // A stop, or a new run of a stage, ends the job that is running: its result would no longer count.
        if (result.kind === "stop" || result.kind === "retry") await cancelRunning(deps, store, target.artifact.running);
        await port.createComment(issue.number, fitBody(result.reply, [store.block(record)]));
        target = withRecord(target, record);
        if (result.kind !== "answer") changed = true;
        if (result.kind === "retry") retried = key;
      }
      if (changed) {
        const labels = target.issue === issue.number ? (issue.labels ?? []).map((l) => l.name) : await port.issueLabels(target.issue);
        await syncViews(store, config, target, target.artifact, labels, { title: target.artifact.title, missing: [] });
        if (retried) await advance(store, config, lineFor(deps, context), target.issue, retried);
        scheduleLedger(deps, store, config, context.log);
      }
    });
  };
}

function recordFor(store: ArtifactStore, loaded: LoadedArtifact, result: CommandResult, name: string, by: string, key: string): SignedRecord {
  switch (result.kind) {
    case "stop":
      return store.record(loaded, "command.stop", { by }, key);
    case "retry":
      return store.record(loaded, "command.retry", { by, stage: result.stage }, key);
    case "answer":
      return store.record(loaded, "command.answered", { by, command: name.slice(0, 50), outcome: result.outcome }, key);
  }
}


