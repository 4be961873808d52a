import type { FactoryConfig } from "../config/schema.js";
import type { Reaction, RepoPort } from "../github/repo-port.js";
import { withRecord, type LoadedArtifact } from "../state/artifact-store.js";
import type { GitHubStore } from "../github/repo-port.js";
import type { SignedRecord } from "../state/records.js";
import { advance } from "../stages/advance.js";
import { runShip } from "../stages/ship/run-ship.js";
import { collectQueue } from "../ledger/queue.js";
import { promoteCandidate } from "./promote.js";
import { syncViews } from "../stages/sync-views.js";
import { codeSpan } from "../line/text.js";
import { fitBody } from "../views/render.js";
import type { ParsedCommand } from "./commands/parse.js";
import { findCommand, mayMutate, type CommandResult, type CommandSpec } from "./commands/registry.js";
import { cancelRunning, type EventContext } from "./context.js";
import { issueFromBranch } from "./from-webhook.js";
import { repositoryLockKey, type EventOf } from "./line-event.js";

/** After a written refusal, how long a person's refused commands on the same artifact get a reaction only. */
export const REFUSAL_QUIET_MS = 60 * 60 * 1000;

/**
 * The reaction on a refused command. 👎 says "no" without a word; 😕 would say the
 * command was not understood (it was, and declined), 👀 that an answer is coming.
 */
const REFUSED: Reaction = "-1";

/**
 * A pending command and how it is met: `refused` when its author lacks the role it
 * needs, `"reply"` for the first refusal in the hour (a comment saying why),
 * `"react"` after it (a reaction only).
 */
interface Plan {
  command: ParsedCommand;
  key: string;
  spec: CommandSpec | undefined;
  refused: false | "reply" | "react";
}

/**
 * `/factory …` commands in issue and PR comments. Each command's key is its comment
 * id and position, so a redelivered comment is answered once; a PR comment counts
 * for the artifact only when the artifact's own record names that PR.
 *
 * Refusals cost little, since anyone who can comment can send them: a reaction each,
 * and at most one refusal comment per person per artifact (per thread, without one)
 * per hour, judged from the signed records, so it holds across processes and restarts.
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
  const plans = await planAnswers(pending, { config, port, sender, target, now: store.now() });
  await react(port, comment, plans);

  let changed = false;
  for (const { command, key, spec, refused } of plans) {
    // Already told within the hour: the reaction is the whole answer, and it leaves no record (a second identical reaction is a no-op on GitHub).
    if (refused === "react") continue;
    const result: CommandResult = refused
      ? refusal(config, sender, command, spec)
      : spec
        ? spec.run({ args: command.args, line: command.line, ...(command.continuation ? { continuation: command.continuation } : {}), actor: sender, loaded: target, config, sandbox: ctx.deps.box.known() })
        : { kind: "answer", reply: unknownCommand(command), outcome: "rejected" };
    if (result.kind === "next") {
      // One promotion at a time in the repository: the next one reads the queue once this one's label is on.
      target = await ctx.deps.locks.run(repositoryLockKey(event.owner, event.repo, "promote"), async () => {
        const chosen = await chooseNext(ctx, config, target, sender, key, thread);
        if (chosen.record) await finishPromotion(ctx, config, event, chosen.record, event.data.defaultBranch);
        return chosen.loaded;
      });
      continue;
    }
    if (result.kind === "ship") {
      const shipped = await runShip(store, config, target, sender, key, thread);
      const record = shipped.kind === "refused" ? store.record(target, "command.answered", { by: sender, command: "ship", outcome: "rejected" }, key) : shipped.record;
      if (shipped.kind === "refused") await port.createComment(thread, fitBody(shipped.reply, [store.block(record)]));
      target = withRecord(target, record);
      if (shipped.kind !== "refused") changed = true;
      continue;
    }
    const record = recordFor(store, target, result, command.name, sender, key);
    // A stop, a new run of a stage, or a revised plan ends the job that is running: its result would no longer count.
    if (result.kind === "stop" || result.kind === "retry" || result.kind === "revise") await cancelRunning(ctx.deps, store, target.artifact.running);
    await port.createComment(thread, fitBody(result.reply, [store.block(record)]));
    target = withRecord(target, record);
    if (result.kind !== "answer") changed = true;
  }
  // Commands of this comment answered by an earlier try (a lost answer, a crash): this one finishes what it began, the views and the stage a retry asked for.
  const resumed = pending.length < commands.length && target.records.some((r) => mine(r.key) && r.kind !== "command.answered");
  // A promotion this comment chose before a crash: finished now, for the same issue.
  if (resumed) for (const r of target.records.filter((x) => x.kind === "queue.promoted" && mine(x.key))) await finishPromotion(ctx, config, event, r, event.data.defaultBranch);
  if (!(changed || resumed) || target.artifact.pr === undefined) return;
  // Read fresh: the webhook's labels are as they were when the comment was written, and the line may have moved them since
  // (a build that failed and blocked the issue before this `/factory stop` was handled would keep `blocked` on beside `stopped`).
  await syncViews(store, config, target, target.artifact, await port.issueLabels(target.issue), { title: target.artifact.title, missing: [] });
  const retry = [...target.records].reverse().find((r) => (r.kind === "command.retry" || r.kind === "verify.accepted" || r.kind === "scope.approved" || r.kind === "scope.revise") && mine(r.key));
  if (retry) await advance(store, config, ctx.line, target, retry.key, { sync: resumed });
  await ctx.changed(config, target.issue);
}

/**
 * `/factory next`: the demand queue's top candidate. The choice is recorded on the
 * thread first (with the answer), so a retry after a crash promotes the same issue.
 */
async function chooseNext(ctx: EventContext, config: FactoryConfig, target: LoadedArtifact, sender: string, key: string, thread: number): Promise<{ loaded: LoadedArtifact; record?: SignedRecord }> {
  const { store } = ctx;
  const top = (await collectQueue(store, config, store.now().getTime()))[0];
  if (!top) {
    const labels = config.intake.candidates.labels.map((l) => `\`${l}\``).join(" or ");
    const record = store.record(target, "command.answered", { by: sender, command: "next", outcome: "rejected" }, key);
    const text = `The demand queue is empty: label an issue ${labels || "as a candidate"} (or see \`intake.candidates\` in \`.github/factory.yml\`) and \`/factory next\` takes the one with the most demand.`;
    await store.port.createComment(thread, fitBody(text, [store.block(record)]));
    return { loaded: withRecord(target, record) };
  }
  const why = top.why.slice(0, 20).map((w) => w.slice(0, 300));
  const record = store.record(target, "queue.promoted", { by: sender, issue: top.number, title: top.title.slice(0, 300), score: top.score, why }, key);
  const text = `Promoting #${top.number} (${codeSpan(top.title, 200)}) to intake for @${sender}: the top of the demand queue, score ${top.score} (${why.length ? why.join("; ") : "no demand signals yet; it is the oldest candidate"}).`;
  await store.port.createComment(thread, fitBody(text, [store.block(record)]));
  return { loaded: withRecord(target, record), record };
}

/** Promotes the issue a `queue.promoted` record chose (again, after a crash: every step is idempotent). */
async function finishPromotion(ctx: EventContext, config: FactoryConfig, origin: { installationId: number; owner: string; repo: string }, record: SignedRecord, defaultBranch: string | undefined): Promise<void> {
  if (record.kind !== "queue.promoted") return;
  const { port } = ctx.store;
  const issue = await port.getIssue(record.data.issue);
  if (!issue || issue.state !== "open") return;
  const branch = defaultBranch ?? (await port.defaultBranch());
  await promoteCandidate(ctx, config, origin, issue, record.data.by, branch, `${record.key}:next`);
}

/**
 * Decides, before any write, which pending commands are refused and how. A command
 * needs a role when it changes the artifact, and so does one the app does not know
 * (an outsider probing gets the same budget as one asking to stop); help and status
 * answer anyone. The permission is read once, and only when something needs a role.
 */
async function planAnswers(
  pending: ReadonlyArray<{ command: ParsedCommand; key: string }>,
  input: { config: FactoryConfig; port: RepoPort; sender: string; target: LoadedArtifact; now: Date },
): Promise<Plan[]> {
  let allowed: boolean | undefined;
  let told = refusedRecently(input.target.records, input.sender, input.now);
  const plans: Plan[] = [];
  for (const { command, key } of pending) {
    const spec = findCommand(command.name);
    const needsRole = !spec || spec.mutates;
    if (needsRole) allowed ??= mayMutate(input.config, await input.port.permission(input.sender));
    if (!needsRole || allowed) {
      plans.push({ command, key, spec, refused: false });
      continue;
    }
    plans.push({ command, key, spec, refused: told ? "react" : "reply" });
    told = true;
  }
  return plans;
}

/**
 * Whether `person` had a written refusal on these records within the last hour, by
 * the time the records carry. A record stamped later than `now` (another process's
 * clock ahead of this one) counts as recent.
 */
export function refusedRecently(records: readonly SignedRecord[], person: string, now: Date): boolean {
  const since = now.getTime() - REFUSAL_QUIET_MS;
  const who = person.toLowerCase();
  return records.some((r) => r.kind === "command.answered" && r.data.outcome === "refused" && r.data.by.toLowerCase() === who && Date.parse(r.at) > since);
}

/** One reaction of each kind the comment's commands call for: 👀 for commands being answered, 👎 for refused ones. */
async function react(port: RepoPort, comment: number, plans: readonly Plan[]): Promise<void> {
  if (plans.some((p) => !p.refused)) await port.react(comment, "eyes");
  if (plans.some((p) => p.refused)) await port.react(comment, REFUSED);
}

const unknownCommand = (command: ParsedCommand) => `\`/factory ${command.name.slice(0, 40)}\` is not a command I know. \`/factory help\` lists them.`;

/** The one written refusal of the hour: why, and that what follows gets a 👎 only. */
function refusal(config: FactoryConfig, sender: string, command: ParsedCommand, spec: CommandSpec | undefined): CommandResult {
  const roles = config.commands.allowedRoles.join(", ");
  const why = spec
    ? `Sorry @${sender}, \`/factory ${spec.name}\` changes the artifact, so it needs one of these roles on this repository: ${roles}. A maintainer can run it for you.`
    : `${unknownCommand(command)} Commands other than help and status need one of these roles on this repository: ${roles}.`;
  return { kind: "answer", reply: `${why}\n\nFor the next hour, any more of these from you here get a 👎 instead of a reply.`, outcome: "refused" };
}

function recordFor(store: GitHubStore, loaded: LoadedArtifact, result: CommandResult, name: string, by: string, key: string): SignedRecord {
  switch (result.kind) {
    case "stop":
      return store.record(loaded, "command.stop", { by }, key);
    case "retry":
      return store.record(loaded, "command.retry", { by, stage: result.stage }, key);
    case "accept":
      return store.record(loaded, "verify.accepted", { by, sha: result.sha }, key);
    case "answer":
      return store.record(loaded, "command.answered", { by, command: name.slice(0, 50), outcome: result.outcome }, key);
    case "approve":
      return store.record(loaded, "scope.approved", { by, digest: result.digest }, key);
    case "revise":
      return store.record(loaded, "scope.revise", { by, guidance: result.guidance }, key);
    case "ship":
      throw new Error("a ship is recorded by runShip");
    case "next":
      throw new Error("a promotion is recorded by its answer");
  }
}
