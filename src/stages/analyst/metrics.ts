import { chainRecords, fold, type Artifact } from "../../state/fold.js";
import type { SignedRecord } from "../../state/records.js";
import type { Stage } from "../../line/stages.js";
import { latestOutput } from "../build/prompt.js";

/** What GitHub says about the PR at the end: the facts the records do not hold. */
export interface PullFacts {
  merged: boolean;
  endedAt: string;
  files: Array<{ path: string; additions: number; deletions: number }>;
  commits: Array<{ sha: string; date: string }>;
  /** Reviews by people, oldest first. */
  reviews: Array<{ state: string; submittedAt: string }>;
}

/** The metrics that say whether the line is getting better, for one artifact. */
export interface RunMetrics {
  outcome: "merged" | "closed";
  wallMs: number;
  /** Time spent at each stage (the stage the artifact was at, between records), review time under `analyst`. */
  stageMs: Partial<Record<Stage, number>>;
  scoutMs: number;
  buildAttempts: number;
  verifyAttempts: number;
  /** The first verdict was a pass. */
  verifyFirstTry: boolean;
  /** Who accepted a pass with no evidence (`/factory verify --accept-no-evidence`), if anyone did. */
  acceptedWithoutEvidence?: string;
  /** Rounds of requested changes. */
  reviewRounds: number;
  /** Commits after the first review by a person. */
  reviewFixCommits: number;
  netLines: number;
  linesChanged: number;
  linesPerTarget: Record<string, number>;
  costUsd: number;
  scout: { likely: string[]; changed: string[]; hits: string[]; precisionAt5: number; recallAt10: number };
}

const ms = (a: string, b: string) => Math.max(0, Date.parse(b) - Date.parse(a));

/**
 * The post-run metrics: a replay of the artifact's records (time per stage is the
 * time the fold spent at each stage between records), plus the PR's files, commits
 * and reviews, and the scout's memo against the files the change really touched.
 */
export function runMetrics(id: string, records: readonly SignedRecord[], pull: PullFacts): RunMetrics {
  const ordered = chainRecords(records).records;
  const stageMs: Partial<Record<Stage, number>> = {};
  let artifact: Artifact | undefined;
  for (let i = 0; i < ordered.length; i++) {
    artifact = fold(id, ordered.slice(0, i + 1));
    const next = ordered[i + 1]?.at ?? pull.endedAt;
    const at = ordered[i]?.at as string;
    if (artifact.pr === undefined || artifact.stage === "done" || artifact.stage === "intake") continue;
    stageMs[artifact.stage] = (stageMs[artifact.stage] ?? 0) + ms(at, next);
  }
  const final = artifact ?? fold(id, []);
  const memo = latestOutput(ordered, "scout") as { likelyFiles?: Array<{ path: string }>; stats?: { ms?: number } } | undefined;
  const pkg = latestOutput(ordered, "package") as { linesPerTarget?: Record<string, number> } | undefined;
  const verdicts = ordered.filter((r) => r.kind === "stage.completed" && r.data.stage === "verify").map((r) => (r.kind === "stage.completed" ? r.data.output?.verdict : undefined));
  const likely = (memo?.likelyFiles ?? []).map((f) => f.path);
  const changed = pull.files.map((f) => f.path);
  const changedSet = new Set(changed);
  const hits = likely.filter((p) => changedSet.has(p));
  const firstReview = pull.reviews[0]?.submittedAt;
  const opened = ordered.find((r) => r.kind === "artifact.opened")?.at ?? ordered[0]?.at ?? pull.endedAt;
  return {
    outcome: pull.merged ? "merged" : "closed",
    wallMs: ms(opened, pull.endedAt),
    stageMs,
    scoutMs: memo?.stats?.ms ?? 0,
    buildAttempts: final.attempts.build ?? 0,
    verifyAttempts: final.attempts.verify ?? 0,
    verifyFirstTry: verdicts[0] === "pass",
    ...acceptance(ordered),
    reviewRounds: ordered.filter((r) => r.kind === "review.changes_requested").length,
    reviewFixCommits: firstReview ? reviewFixCommits(ordered, pull.commits, firstReview) : 0,
    netLines: pull.files.reduce((n, f) => n + f.additions - f.deletions, 0),
    linesChanged: pull.files.reduce((n, f) => n + f.additions + f.deletions, 0),
    linesPerTarget: pkg?.linesPerTarget ?? {},
    costUsd: Object.values(final.costUsd).reduce<number>((a, b) => a + (b ?? 0), 0),
    scout: {
      likely,
      changed,
      hits,
      precisionAt5: likely.length ? likely.slice(0, 5).filter((p) => changedSet.has(p)).length / Math.min(5, likely.length) : 0,
      recallAt10: changed.length ? likely.slice(0, 10).filter((p) => changedSet.has(p)).length / changed.length : 0,
    },
  };
}


/**
 * Commits after the first review: the builder's, from its summaries recorded after
 * the review (millisecond timestamps), and people's, from the PR's commit dates
 * (git keeps seconds) for commits no build made.
 */
function reviewFixCommits(records: readonly SignedRecord[], commits: PullFacts["commits"], firstReview: string): number {
  const built = new Set<string>();
  let after = 0;
  for (const r of records) {
    if (r.kind !== "stage.completed" || r.data.stage !== "build") continue;
    const shas = ((r.data.output?.commits as Array<{ sha: string }> | undefined) ?? []).map((c) => c.sha);
    for (const sha of shas) built.add(sha);
    if (Date.parse(r.at) > Date.parse(firstReview)) after += shas.length;
  }
  return after + commits.filter((c) => !built.has(c.sha) && Date.parse(c.date) > Date.parse(firstReview)).length;
}

/** The last pass a person accepted with no evidence, by whom. */
function acceptance(records: readonly SignedRecord[]): { acceptedWithoutEvidence?: string } {
  const by = records.flatMap((r) => (r.kind === "stage.completed" && r.data.stage === "verify" && typeof r.data.output?.acceptedBy === "string" ? [r.data.output.acceptedBy] : [])).at(-1);
  return by ? { acceptedWithoutEvidence: by } : {};
}
