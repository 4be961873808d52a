/**
 * Which matching lessons go into the builder's prompt: Thompson sampling over
 * a Beta posterior per lesson. Success is verify passing on the first try,
 * failure is a review loop. Evidence decays toward the Beta(1, 1) prior with
 * a half-life, so a lesson that stopped helping loses its old credit.
 */

export interface LessonStats {
  alpha: number;
  beta: number;
  /** ISO time the evidence was last decayed to. */
  updatedAt: string;
}

export type Outcome = "success" | "failure";

export type Rng = () => number;

export const DEFAULT_HALF_LIFE_DAYS = 30;

const DAY_MS = 86_400_000;

/** Pulls `alpha` and `beta` toward 1 by `0.5^(days / halfLifeDays)`; a clock behind `updatedAt` decays nothing. */
export function decay(stats: LessonStats, now: Date, halfLifeDays = DEFAULT_HALF_LIFE_DAYS): LessonStats {
  if (!(halfLifeDays > 0)) throw new RangeError(`halfLifeDays must be a positive number of days; got ${halfLifeDays}`);
  const days = (now.getTime() - Date.parse(stats.updatedAt)) / DAY_MS;
  // An unreadable timestamp keeps the evidence rather than erasing it.
  const factor = Number.isFinite(days) && days > 0 ? 0.5 ** (days / halfLifeDays) : 1;
  return { alpha: 1 + (stats.alpha - 1) * factor, beta: 1 + (stats.beta - 1) * factor, updatedAt: now.toISOString() };
}

/** Decays to `now`, then counts one outcome; a lesson without stats starts from the prior. */
export function update(stats: LessonStats | undefined, outcome: Outcome, now: Date, halfLifeDays = DEFAULT_HALF_LIFE_DAYS): LessonStats {
  const decayed = decay(stats ?? prior(now), now, halfLifeDays);
  return outcome === "success" ? { ...decayed, alpha: decayed.alpha + 1 } : { ...decayed, beta: decayed.beta + 1 };
}

export function prior(now: Date): LessonStats {
  return { alpha: 1, beta: 1, updatedAt: now.toISOString() };
}

/** mulberry32: 32 bits of state, plenty for choosing among a handful of lessons. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** In (0, 1], so its logarithm is finite. */
const openUnit = (rng: Rng) => 1 - rng();

/** Box–Muller; the second normal of each pair is dropped to keep no state between calls. */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(openUnit(rng))) * Math.cos(2 * Math.PI * rng());
}

/**
 * The logarithm of a Gamma(shape, 1) draw: Marsaglia–Tsang for shape ≥ 1,
 * and for shape < 1 a Gamma(shape + 1) draw times U^(1/shape). Kept in logs
 * because for small shapes U^(1/shape) underflows to 0.
 */
function logGamma(shape: number, rng: Rng): number {
  if (shape < 1) return logGamma(shape + 1, rng) + Math.log(openUnit(rng)) / shape;
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rng);
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    const u = rng();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** A Beta(alpha, beta) draw as X / (X + Y) for X ~ Gamma(alpha), Y ~ Gamma(beta); `rng` yields [0, 1). */
export function sampleBeta(alpha: number, beta: number, rng: Rng): number {
  if (!(alpha > 0 && beta > 0 && Number.isFinite(alpha) && Number.isFinite(beta))) {
    throw new RangeError(`Beta shapes must be positive and finite; got alpha ${alpha}, beta ${beta}`);
  }
  const logX = logGamma(alpha, rng);
  const logY = logGamma(beta, rng);
  // X / (X + Y) = 1 / (1 + Y/X), without forming X or Y.
  return 1 / (1 + Math.exp(logY - logX));
}

const compareIds = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface Candidate {
  id: string;
  relevance: number;
}

export interface ChooseOptions {
  k: number;
  now: Date;
  rng: Rng;
  halfLifeDays?: number;
}

export interface Choice {
  id: string;
  relevance: number;
  /** The draw that ranked it. */
  theta: number;
  /** Posterior mean after decay, alpha / (alpha + beta). */
  mean: number;
  alpha: number;
  beta: number;
}

/**
 * The `k` candidates with the highest θ drawn from their decayed posteriors
 * (unknown ids from the prior), ties broken by relevance then id. Candidates
 * are drawn in id order, so a seed gives the same choice whatever the input order.
 */
export function chooseLessons(candidates: readonly Candidate[], stats: Readonly<Record<string, LessonStats>>, options: ChooseOptions): Choice[] {
  const { k, now, rng, halfLifeDays = DEFAULT_HALF_LIFE_DAYS } = options;
  if (!(k >= 1)) return [];
  const byId = new Map<string, Candidate>();
  for (const candidate of candidates) {
    const seen = byId.get(candidate.id);
    if (!seen || candidate.relevance > seen.relevance) byId.set(candidate.id, candidate);
  }
  const draws = [...byId.values()]
    .sort((a, b) => compareIds(a.id, b.id))
    .map((candidate): Choice => {
      const known = Object.hasOwn(stats, candidate.id) ? stats[candidate.id] : undefined;
      const posterior = decay(known ?? prior(now), now, halfLifeDays);
      return {
        id: candidate.id,
        relevance: candidate.relevance,
        theta: sampleBeta(posterior.alpha, posterior.beta, rng),
        mean: posterior.alpha / (posterior.alpha + posterior.beta),
        alpha: posterior.alpha,
        beta: posterior.beta,
      };
    });
  draws.sort((a, b) => b.theta - a.theta || b.relevance - a.relevance || compareIds(a.id, b.id));
  return draws.slice(0, Math.floor(k));
}
