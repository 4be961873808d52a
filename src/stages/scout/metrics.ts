/** Localization metrics for one case: how much of `gold` the ranking found, and how early. */
export interface CaseScore {
  "recall@1": number;
  "recall@5": number;
  "recall@10": number;
  "hit@5": number;
  mrr: number;
}

export function scoreRanking(ranked: readonly string[], gold: readonly string[]): CaseScore {
  // A path counts once, in the ranking and in the gold set.
  const ranking = [...new Set(ranked)];
  const goldSet = new Set(gold);
  const recall = (k: number) => (goldSet.size ? ranking.slice(0, k).filter((p) => goldSet.has(p)).length / goldSet.size : 0);
  const first = ranking.findIndex((p) => goldSet.has(p));
  return {
    "recall@1": recall(1),
    "recall@5": recall(5),
    "recall@10": recall(10),
    "hit@5": first >= 0 && first < 5 ? 1 : 0,
    mrr: first >= 0 ? 1 / (first + 1) : 0,
  };
}

export interface Summary extends CaseScore {
  cases: number;
  median_ms: number;
  p95_ms: number;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? 0;
}

export function summarise(scores: readonly CaseScore[], times: readonly number[]): Summary {
  const mean = (key: keyof CaseScore) => (scores.length ? scores.reduce((s, c) => s + c[key], 0) / scores.length : 0);
  const sorted = [...times].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    cases: scores.length,
    "recall@1": round(mean("recall@1")),
    "recall@5": round(mean("recall@5")),
    "recall@10": round(mean("recall@10")),
    "hit@5": round(mean("hit@5")),
    mrr: round(mean("mrr")),
    median_ms: round(percentile(sorted, 50)),
    p95_ms: round(percentile(sorted, 95)),
  };
}

/** Conventional-commit types: the prefixes the issue mode removes (and nothing else, so `TypeError: …` stays). */
const CONVENTIONAL = "feat|feature|fix|bugfix|docs|doc|style|refactor|perf|test|tests|build|ci|chore|revert|deps|types|security|release";

/** `fix(cli)!: title` → `title`: the terse issue-title query mode. */
export function issueTitle(title: string): string {
  return title.replace(new RegExp(`^(?:${CONVENTIONAL})(\\([^)]*\\))?!?:\\s*`, "i"), "").trim();
}
