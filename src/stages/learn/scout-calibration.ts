import { isCandidate } from "../scout/candidates.js";
import { isCodeChange, rankingEvidence, rankWith, SIGNALS, WEIGHTS, type Evidence, type RepoSnapshot, type Weights } from "../scout/localize.js";
import { issueTitle, scoreRanking } from "../scout/metrics.js";
import type { ScoutFile } from "../scout/scout-file.js";

/**
 * The scout calibrated to one repository: its signals' weights fitted on the
 * repository's own past changes (which files each really touched), kept only when
 * a later, held-out slice of that history is localized better by a stated margin.
 */

/** A past change as a localization case: the request a person would have written, and the files it modified. */
export interface MinedCase {
  sha: string;
  base: string;
  title: string;
  body: string;
  gold: string[];
}

/** Files no one asks a scout for besides the non-candidates (lock files, changelogs, media): snapshot folders. */
const NOT_ASKED = /(^|\/)__snapshots__\//;

/**
 * Past changes that read like requests: non-merge commits that change behaviour
 * (not releases, bumps, CI or docs-only housekeeping) and touch 1 to `maxFiles`
 * files once lock files, changelogs and snapshots are left out. Gold: the files
 * that existed at the parent and the change modified. Newest first, as given.
 */
export function mineCases(changes: ReadonlyArray<{ sha: string; parent: string; message: string; files: ReadonlyArray<{ status: string; path: string }> }>, maxFiles = 8): MinedCase[] {
  const cases: MinedCase[] = [];
  for (const change of changes) {
    const [subject = "", ...rest] = change.message.split("\n");
    if (subject.trim().length < 8 || !isCodeChange(subject)) continue;
    const files = change.files.filter((f) => isCandidate(f.path, 1) && !NOT_ASKED.test(f.path));
    if (files.length === 0 || files.length > maxFiles) continue;
    const gold = files.filter((f) => f.status.startsWith("M")).map((f) => f.path);
    if (gold.length === 0) continue;
    const body = rest
      .join("\n")
      // Trailers and PR references say nothing about where the change goes.
      .replace(/^(Signed-off-by|Co-authored-by|Reviewed-by|Change-Id):.*$/gim, "")
      .replace(/\(#\d+\)/g, "")
      .trim();
    cases.push({ sha: change.sha, base: change.parent, title: subject.replace(/\s*\(#\d+\)\s*$/, "").trim(), body, gold });
  }
  return cases;
}

/** The two ways a request reaches the scout: title and body as written, and a terse title alone. */
export function caseQueries(c: Pick<MinedCase, "title" | "body">): string[] {
  return [`${c.title}\n\n${c.body}`.trim(), issueTitle(c.title)];
}

/** One case ready to be ranked many times: its evidence per query (weight-free) and the snapshot it was read from. */
export interface PreparedCase {
  evidence: Evidence[];
  repo: RepoSnapshot;
  gold: string[];
}

export function prepareCase(c: Pick<MinedCase, "title" | "body" | "gold">, repo: RepoSnapshot): PreparedCase {
  return { evidence: caseQueries(c).map((q) => rankingEvidence(q, repo)), repo, gold: c.gold };
}

/** Mean recall@10 over every case and both queries. */
export function recallAt10(cases: readonly PreparedCase[], weights: Weights): number {
  let sum = 0;
  let n = 0;
  for (const c of cases) {
    for (const evidence of c.evidence) {
      sum += scoreRanking(rankWith(evidence, c.repo, weights, false).map((r) => r.path).slice(0, 10), c.gold)["recall@10"];
      n++;
    }
  }
  return n ? sum / n : 0;
}

/** The values each weight is tried at; `text` stays 1, the scale the others are measured against. */
const GRID = [0, 0.2, 0.4, 0.6, 0.9, 1.2, 1.6, 2.2, 3];

/**
 * Coordinate ascent from the defaults: each signal in turn takes the grid value that
 * scores best, until a pass changes nothing. A move must help both halves of the cases
 * (alternate ones) and hurt neither: a weight that only suits a few changes is noise, and
 * on a hundred changes a greedy search finds plenty of it.
 */
export function fitWeights(cases: readonly PreparedCase[], start: Weights = WEIGHTS, passes = 4): { weights: Weights; score: number } {
  const folds = [cases.filter((_, i) => i % 2 === 0), cases.filter((_, i) => i % 2 === 1)].filter((f) => f.length > 0);
  const scoresOf = (w: Weights) => folds.map((f) => recallAt10(f, w));
  let weights = { ...start };
  let scores = scoresOf(weights);
  for (let pass = 0; pass < passes; pass++) {
    let moved = false;
    for (const signal of SIGNALS) {
      if (signal === "text") continue;
      let best: { weights: Weights; scores: number[]; gain: number } | undefined;
      for (const value of GRID) {
        if (value === weights[signal]) continue;
        const trial = { ...weights, [signal]: value };
        const trialScores = scoresOf(trial);
        const gains = trialScores.map((s, i) => s - (scores[i] ?? 0));
        // Better on every half, by more than noise; a tie keeps what is there (the defaults win ties).
        if (gains.some((g) => g < 0) || gains.every((g) => g <= 1e-9)) continue;
        const gain = gains.reduce((a, b) => a + b, 0);
        if (!best || gain > best.gain) best = { weights: trial, scores: trialScores, gain };
      }
      if (best) {
        weights = best.weights;
        scores = best.scores;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return { weights, score: recallAt10(cases, weights) };
}

export interface Calibration {
  /** The weights the scout should use: fitted ones when they held up on the held-out slice, else the defaults. */
  weights: Weights;
  accepted: boolean;
  /** Why it was kept or not, in words. */
  reason: string;
  fit: { cases: number; before: number; after: number };
  heldOut: { cases: number; before: number; after: number };
  margin: number;
}

export const MIN_FIT_CASES = 12;
export const MIN_HELD_OUT_CASES = 6;
export const DEFAULT_MARGIN = 0.02;

/**
 * Fits on the older cases and judges on the newer ones (`cases` newest first, as
 * history reads): the fitted weights are kept only if the held-out recall@10
 * rises by at least `margin`.
 */
export function calibrate(cases: readonly PreparedCase[], options: { margin?: number; heldOutShare?: number } = {}): Calibration {
  const margin = options.margin ?? DEFAULT_MARGIN;
  const heldCount = Math.round(cases.length * (options.heldOutShare ?? 1 / 3));
  const heldOut = cases.slice(0, heldCount);
  const fitOn = cases.slice(heldCount);
  const none = { cases: 0, before: 0, after: 0 };
  if (fitOn.length < MIN_FIT_CASES || heldOut.length < MIN_HELD_OUT_CASES) {
    return {
      weights: { ...WEIGHTS },
      accepted: false,
      reason: `not enough past changes to fit on: ${cases.length} usable (at least ${MIN_FIT_CASES + MIN_HELD_OUT_CASES} needed)`,
      fit: { ...none, cases: fitOn.length },
      heldOut: { ...none, cases: heldOut.length },
      margin,
    };
  }
  const before = recallAt10(fitOn, WEIGHTS);
  const fitted = fitWeights(fitOn);
  const heldBefore = recallAt10(heldOut, WEIGHTS);
  const heldAfter = recallAt10(heldOut, fitted.weights);
  const accepted = heldAfter - heldBefore >= margin;
  const figures = `held-out recall@10 ${heldBefore.toFixed(3)} → ${heldAfter.toFixed(3)} on ${heldOut.length} later changes`;
  return {
    weights: accepted ? fitted.weights : { ...WEIGHTS },
    accepted,
    reason: accepted ? `kept: ${figures} (a rise of at least ${margin})` : `not kept: ${figures}, less than the ${margin} margin`,
    fit: { cases: fitOn.length, before, after: fitted.score },
    heldOut: { cases: heldOut.length, before: heldBefore, after: heldAfter },
    margin,
  };
}

export function scoutFileFor(calibration: Calibration, commit: string, at: Date): ScoutFile {
  return {
    version: 1,
    weights: calibration.weights,
    fitted: {
      at: at.toISOString(),
      commit,
      fitCases: calibration.fit.cases,
      heldOutCases: calibration.heldOut.cases,
      heldOutBefore: round(calibration.heldOut.before),
      heldOutAfter: round(calibration.heldOut.after),
      margin: calibration.margin,
    },
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
