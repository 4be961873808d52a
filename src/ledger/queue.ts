import type { FactoryConfig } from "../config/schema.js";
import { hasLabel, sameLabel } from "../line/labels.js";
import type { FinishedArtifact, GitHubStore, ListedIssue } from "../github/repo-port.js";
import { rankCandidates, type Candidate, type KindOutcome, type RankedCandidate } from "../stages/intake/demand.js";

/** How many of the best candidates have their comments read (commenters, duplicates), and how many finished artifacts teach the ranking. */
export const QUEUE_READS = { commenters: 30, outcomes: 30 };

/** Whether an open issue is a candidate under `intake.candidates`, and not already the factory's. */
export function isCandidateIssue(issue: ListedIssue, config: FactoryConfig, botLogin: string): boolean {
  if (issue.isPull || issue.state !== "open" || hasLabel(issue.labels, config.labels.intake) || hasLabel(issue.labels, config.labels.ledger)) return false;
  if (issue.authorType === "Bot" && issue.authorLogin === botLogin) return false;
  const { labels, milestone, authors } = config.intake.candidates;
  return issue.labels.some((l) => hasLabel(labels, l)) || (milestone !== undefined && issue.milestone === milestone) || (issue.authorAssociation !== undefined && (authors as readonly string[]).includes(issue.authorAssociation));
}

const DUPLICATE = /\bduplicate of #(\d+)\b/gi;

/**
 * The demand queue, read from GitHub: the open candidates with their reactions, the
 * other listed issues that mention them (the candidates, or every open issue when a
 * milestone or author association makes candidates), the people who commented on the best ones and the
 * duplicates pointed at them, and how the factory's recently finished artifacts of
 * each kind (label) went. Ranked, each score explained.
 */
export type QueuedCandidate = RankedCandidate & { issue: ListedIssue };

export async function collectQueue(store: GitHubStore, config: FactoryConfig, now: number, reads = QUEUE_READS): Promise<QueuedCandidate[]> {
  const { port } = store;
  // By label when only labels make candidates (a page per label); every open issue when a milestone or author association does.
  const { labels, milestone, authors } = config.intake.candidates;
  const open =
    milestone === undefined && authors.length === 0
      ? [...new Map((await Promise.all(labels.map((l) => port.listIssuesWithLabel(l, "open")))).flat().map((i) => [i.number, i])).values()]
      : await port.listIssuesWithLabel(undefined, "open");
  const candidates = open.filter((i) => isCandidateIssue(i, config, store.botLogin));
  if (candidates.length === 0) return [];
  const numbers = new Set(candidates.map((c) => c.number));
  const linked = new Map<number, Set<number>>();
  for (const issue of open) {
    for (const match of issue.body.matchAll(/(?:^|[^\w/])#(\d+)\b/g)) {
      const target = Number(match[1]);
      if (target !== issue.number && numbers.has(target)) linked.set(target, (linked.get(target) ?? new Set()).add(issue.number));
    }
  }
  const base = (i: ListedIssue): Candidate => ({
    number: i.number,
    title: i.title,
    labels: i.labels,
    createdAt: i.createdAt,
    reactions: i.reactions ?? { up: 0, down: 0, other: 0 },
    commenters: 0,
    linked: linked.get(i.number)?.size ?? 0,
    duplicates: 0,
  });
  // Comments are read for the best candidates only: a page each.
  const first = rankCandidates(candidates.map(base), [], now).slice(0, reads.commenters);
  const commenters = new Map<number, number>();
  const duplicates = new Map<number, Set<number>>();
  for (const { number } of first) {
    const issue = candidates.find((c) => c.number === number) as ListedIssue;
    const comments = await port.listIssueComments(number);
    const people = new Set(comments.filter((c) => c.authorType !== "Bot" && c.authorLogin && c.authorLogin !== issue.authorLogin).map((c) => c.authorLogin));
    commenters.set(number, people.size);
    for (const comment of comments) {
      for (const match of comment.body.matchAll(DUPLICATE)) {
        const target = Number(match[1]);
        if (target !== number && numbers.has(target)) duplicates.set(target, (duplicates.get(target) ?? new Set()).add(number));
      }
    }
  }
  const outcomes = await kindOutcomes(store, config, reads.outcomes);
  const byNumber = new Map(candidates.map((c) => [c.number, c]));
  return rankCandidates(
    candidates.map((i) => ({ ...base(i), commenters: commenters.get(i.number) ?? 0, duplicates: duplicates.get(i.number)?.size ?? 0 })),
    outcomes,
    now,
  ).map((r) => ({ ...r, issue: byNumber.get(r.number) as ListedIssue }));
}

/**
 * How the factory's most recently finished artifacts went, per kind (each label not
 * the factory's own): merged without requested changes, merged after them, or ended
 * blocked, closed unmerged, or merged and then reverted (a `Revert "<title>…"` commit
 * among the default branch's last 100).
 *
 * It costs a bounded read whatever the repository's age: the newest `limit × 4`
 * factory issues (one or two pages), and a load of each of those with a kind that
 * this process has not seen done before (a done artifact's records do not change, so
 * its outcome is kept; a blocked one is read again, as it may resume).
 */
export async function kindOutcomes(store: GitHubStore, config: FactoryConfig, limit: number): Promise<KindOutcome[]> {
  const { port } = store;
  const newest = (await port.newestIssuesWithLabel(config.labels.intake, limit * 4)).filter((i) => !i.isPull);
  if (newest.length === 0) return [];
  // Reverts on the default branch (GitHub's "Revert" button writes `Revert "<title>"`): the last 100 commits.
  const reverts = (await port.commitMessages(await port.defaultBranch(), 100)).map((c) => c.message.split("\n")[0] ?? "").filter((s) => s.startsWith('Revert "'));
  const reverted = (title: string) => reverts.some((subject) => subject.startsWith(`Revert "${title}`));
  const byKind = new Map<string, KindOutcome>();
  let read = 0;
  for (const issue of newest) {
    if (read >= limit) break;
    const kinds = issue.labels.filter((l) => !l.toLowerCase().startsWith("factory:") && !sameLabel(l, config.labels.intake));
    if (kinds.length === 0) continue;
    const finished = port.knownFinished(issue.number) ?? (await loadFinished(store, issue.number));
    if (!finished) continue;
    read++;
    const outcome: keyof Omit<KindOutcome, "kind"> = !finished.merged || reverted(finished.title) ? "failed" : finished.reviewRounds > 0 ? "reworked" : "clean";
    for (const kind of kinds) {
      const entry = byKind.get(kind) ?? { kind, clean: 0, reworked: 0, failed: 0 };
      entry[outcome]++;
      byKind.set(kind, entry);
    }
  }
  return [...byKind.values()];
}

/** A done or blocked artifact's outcome, read from its records (a done one is remembered); undefined while it is in flight. */
async function loadFinished(store: GitHubStore, issue: number): Promise<FinishedArtifact | undefined> {
  const { artifact, records } = await store.load(issue);
  if (artifact.status !== "done" && artifact.status !== "blocked") return undefined;
  const ended = records.findLast((r) => r.kind === "run.ended");
  const finished = { title: artifact.title, merged: ended?.kind === "run.ended" && ended.data.outcome === "merged", reviewRounds: artifact.reviewRounds };
  if (artifact.status === "done") store.port.rememberFinished(issue, finished);
  return finished;
}
