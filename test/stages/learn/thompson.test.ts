import { describe, expect, it } from "vitest";
import { chooseLessons, decay, prior, sampleBeta, seededRng, update, type LessonStats, type Rng } from "../../../src/stages/learn/thompson.js";

const NOW = new Date("2026-12-01T00:00:00.000Z");
const DAY_MS = 86_400_000;
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const stats = (alpha: number, beta: number, at = NOW): LessonStats => ({ alpha, beta, updatedAt: at.toISOString() });

function moments(draws: number[]): { mean: number; variance: number } {
  const mean = draws.reduce((sum, x) => sum + x, 0) / draws.length;
  const variance = draws.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (draws.length - 1);
  return { mean, variance };
}

function draws(alpha: number, beta: number, n: number, rng: Rng): number[] {
  return Array.from({ length: n }, () => sampleBeta(alpha, beta, rng));
}

/** How often each id is chosen first over `rounds` rounds of k = 1. */
function winShares(candidates: Array<{ id: string; relevance: number }>, record: Record<string, LessonStats>, rounds: number, seed: number): Map<string, number> {
  const rng = seededRng(seed);
  const wins = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const [first] = chooseLessons(candidates, record, { k: 1, now: NOW, rng });
    if (first) wins.set(first.id, (wins.get(first.id) ?? 0) + 1);
  }
  return new Map([...wins].map(([id, count]) => [id, count / rounds]));
}

describe("seededRng", () => {
  it("repeats a sequence for a seed, differs across seeds, and stays in [0, 1) with mean ½", () => {
    const a = seededRng(7);
    const b = seededRng(7);
    const c = seededRng(8);
    const first = Array.from({ length: 5 }, () => a());
    expect(Array.from({ length: 5 }, () => b())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c())).not.toEqual(first);
    const values = Array.from({ length: 20_000 }, a);
    expect(values.every((x) => x >= 0 && x < 1)).toBe(true);
    const { mean, variance } = moments(values);
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1 / 12) / (1 / 12)).toBeLessThan(0.03);
  });
});

describe("sampleBeta", () => {
  const cases: Array<[number, number]> = [
    [0.5, 0.5],
    [2, 5],
    [30, 3],
    [1, 1],
    [0.3, 4],
  ];

  it.each(cases)("Beta(%d, %d): 20,000 draws in [0, 1] with the right mean (±0.01) and variance (within a tenth)", (alpha, beta) => {
    const sample = draws(alpha, beta, 20_000, seededRng(20_261_125));
    expect(sample.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)).toBe(true);
    const { mean, variance } = moments(sample);
    const expectedMean = alpha / (alpha + beta);
    const expectedVariance = (alpha * beta) / ((alpha + beta) ** 2 * (alpha + beta + 1));
    expect(Math.abs(mean - expectedMean)).toBeLessThan(0.01);
    expect(Math.abs(variance - expectedVariance) / expectedVariance).toBeLessThan(0.1);
  });

  it("has the Beta(2, 5) distribution, not just its moments (Kolmogorov–Smirnov at the 1% level)", () => {
    // For whole shapes, I_x(a, b) = Σ_{j=a}^{a+b-1} C(a+b-1, j) x^j (1-x)^(a+b-1-j); for (2, 5) that is 1 - (1-x)^6 - 6x(1-x)^5.
    const cdf = (x: number) => 1 - (1 - x) ** 6 - 6 * x * (1 - x) ** 5;
    const sample = draws(2, 5, 20_000, seededRng(99)).sort((a, b) => a - b);
    let distance = 0;
    sample.forEach((x, i) => {
      const f = cdf(x);
      distance = Math.max(distance, Math.abs((i + 1) / sample.length - f), Math.abs(i / sample.length - f));
    });
    expect(distance).toBeLessThan(1.63 / Math.sqrt(sample.length));
  });

  it("stays a number in [0, 1] for tiny shapes, where a plain Gamma draw underflows to 0", () => {
    const sample = draws(0.01, 0.02, 5_000, seededRng(3));
    expect(sample.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)).toBe(true);
    // Beta(0.01, 0.02) puts nearly all its mass at the ends, a third of it near 1.
    const nearOne = sample.filter((x) => x > 0.5).length / sample.length;
    expect(Math.abs(nearOne - 1 / 3)).toBeLessThan(0.03);
  });

  it("is reproducible from the seed", () => {
    expect(draws(3, 4, 10, seededRng(5))).toEqual(draws(3, 4, 10, seededRng(5)));
  });

  it("rejects shapes that are not positive and finite", () => {
    const rng = seededRng(1);
    expect(() => sampleBeta(0, 1, rng)).toThrow(RangeError);
    expect(() => sampleBeta(1, -2, rng)).toThrow(/alpha 1, beta -2/);
    expect(() => sampleBeta(Number.NaN, 1, rng)).toThrow(RangeError);
    expect(() => sampleBeta(1, Number.POSITIVE_INFINITY, rng)).toThrow(RangeError);
  });
});

describe("decay", () => {
  it("halves the evidence above the prior after one half-life and stamps the new time", () => {
    const decayed = decay(stats(21, 5, daysAgo(30)), NOW);
    expect(decayed.alpha).toBeCloseTo(11, 10);
    expect(decayed.beta).toBeCloseTo(3, 10);
    expect(decayed.updatedAt).toBe(NOW.toISOString());
  });

  it("follows 0.5^(days / halfLife) for any span and half-life", () => {
    const decayed = decay(stats(9, 1, daysAgo(7)), NOW, 14);
    expect(decayed.alpha).toBeCloseTo(1 + 8 * 0.5 ** 0.5, 10);
    expect(decayed.beta).toBe(1);
  });

  it("brings a strong old record close to the prior after ten half-lives", () => {
    const decayed = decay(stats(101, 1, daysAgo(300)), NOW);
    expect(decayed.alpha - 1).toBeCloseTo(100 / 1024, 10);
    expect(decayed.alpha).toBeLessThan(1.1);
    expect(decayed.alpha / (decayed.alpha + decayed.beta)).toBeLessThan(0.53);
  });

  it("leaves evidence alone when no time passed, the clock is behind, or the timestamp is unreadable", () => {
    expect(decay(stats(5, 2), NOW)).toEqual(stats(5, 2));
    expect(decay(stats(5, 2, new Date(NOW.getTime() + DAY_MS)), NOW)).toMatchObject({ alpha: 5, beta: 2 });
    expect(decay({ alpha: 5, beta: 2, updatedAt: "yesterday" }, NOW)).toMatchObject({ alpha: 5, beta: 2 });
  });

  it("rejects a half-life that is not positive", () => {
    expect(() => decay(stats(2, 2), NOW, 0)).toThrow(/halfLifeDays/);
  });
});

describe("update", () => {
  it("starts an unknown lesson from Beta(1, 1) and counts one outcome", () => {
    expect(update(undefined, "success", NOW)).toEqual(stats(2, 1));
    expect(update(undefined, "failure", NOW)).toEqual(stats(1, 2));
  });

  it("decays to now before counting", () => {
    const next = update(stats(21, 5, daysAgo(30)), "failure", NOW);
    expect(next.alpha).toBeCloseTo(11, 10);
    expect(next.beta).toBeCloseTo(4, 10);
    expect(next.updatedAt).toBe(NOW.toISOString());
  });

  it("honours a custom half-life", () => {
    const next = update(stats(5, 1, daysAgo(10)), "success", NOW, 10);
    expect(next.alpha).toBeCloseTo(1 + 4 / 2 + 1, 10);
  });
});

describe("chooseLessons", () => {
  it("picks Beta(20, 5) over Beta(5, 20) in more than 95% of 2,000 rounds", () => {
    const shares = winShares(
      [
        { id: "good", relevance: 1 },
        { id: "bad", relevance: 1 },
      ],
      { good: stats(20, 5), bad: stats(5, 20) },
      2_000,
      11,
    );
    expect(shares.get("good")).toBeGreaterThan(0.95);
  });

  it("splits two equal lessons about evenly (each 40–60%)", () => {
    const shares = winShares(
      [
        { id: "one", relevance: 1 },
        { id: "two", relevance: 1 },
      ],
      { one: stats(8, 4), two: stats(8, 4) },
      2_000,
      12,
    );
    expect(shares.get("one")).toBeGreaterThan(0.4);
    expect(shares.get("one")).toBeLessThan(0.6);
    expect(shares.get("two")).toBeGreaterThan(0.4);
    expect(shares.get("two")).toBeLessThan(0.6);
  });

  it("still explores a new lesson against a mediocre one, as often as P(U > θ) = 1 - 0.4 says", () => {
    const shares = winShares(
      [
        { id: "new", relevance: 1 },
        { id: "mediocre", relevance: 1 },
      ],
      { mediocre: stats(4, 6) },
      2_000,
      13,
    );
    const explored = shares.get("new") ?? 0;
    expect(explored).toBeGreaterThan(0.05);
    expect(explored).toBeLessThan(0.95);
    // With θ_new ~ U(0, 1), P(θ_new > θ_mediocre) = 1 - E[θ_mediocre] = 0.6.
    expect(Math.abs(explored - 0.6)).toBeLessThan(0.04);
  });

  it("prefers a steadily good lesson over one that was great long ago but failed recently", () => {
    let faded: LessonStats | undefined;
    for (let i = 0; i < 30; i++) faded = update(faded, "success", daysAgo(400 - i));
    for (const day of [10, 6, 2]) faded = update(faded, "failure", daysAgo(day));
    let steady: LessonStats | undefined;
    for (let week = 20; week >= 1; week--) steady = update(steady, week % 5 === 0 ? "failure" : "success", daysAgo(week * 7));
    if (!faded || !steady) throw new Error("no stats");

    const candidates = [
      { id: "faded", relevance: 1 },
      { id: "steady", relevance: 1 },
    ];
    const means = new Map(chooseLessons(candidates, { faded, steady }, { k: 2, now: NOW, rng: seededRng(1) }).map((c) => [c.id, c.mean]));
    // Without decay the 30 old successes would put `faded` at (31)/(31+4) ≈ 0.89.
    expect(means.get("faded")).toBeLessThan(0.35);
    expect(means.get("steady")).toBeGreaterThan(0.7);
    expect(winShares(candidates, { faded, steady }, 2_000, 14).get("steady")).toBeGreaterThan(0.85);
  });

  it("returns k choices with θ, the decayed posterior and its mean", () => {
    const record = { a: stats(21, 5, daysAgo(30)), b: stats(3, 3) };
    const chosen = chooseLessons(
      [
        { id: "a", relevance: 0.5 },
        { id: "b", relevance: 1 },
        { id: "c", relevance: 0.2 },
      ],
      record,
      { k: 2, now: NOW, rng: seededRng(4) },
    );
    expect(chosen).toHaveLength(2);
    expect(chosen[0]!.theta).toBeGreaterThanOrEqual(chosen[1]!.theta);
    for (const choice of chosen) {
      expect(choice.theta).toBeGreaterThanOrEqual(0);
      expect(choice.theta).toBeLessThanOrEqual(1);
      expect(choice.mean).toBeCloseTo(choice.alpha / (choice.alpha + choice.beta), 12);
    }
    const a = chooseLessons([{ id: "a", relevance: 0.5 }], record, { k: 1, now: NOW, rng: seededRng(4) })[0];
    expect(a).toMatchObject({ id: "a", relevance: 0.5, alpha: 11, beta: 3, mean: 11 / 14 });
    const c = chooseLessons([{ id: "c", relevance: 0.2 }], record, { k: 1, now: NOW, rng: seededRng(4) })[0];
    expect(c).toMatchObject({ alpha: 1, beta: 1, mean: 0.5 });
  });

  it("returns everything when k exceeds the candidates, nothing for k < 1, and one entry per id", () => {
    const candidates = [
      { id: "x", relevance: 0.1 },
      { id: "y", relevance: 0.2 },
      { id: "x", relevance: 0.9 },
    ];
    const all = chooseLessons(candidates, {}, { k: 5, now: NOW, rng: seededRng(2) });
    expect(all.map((c) => c.id).sort()).toEqual(["x", "y"]);
    expect(all.find((c) => c.id === "x")?.relevance).toBe(0.9);
    expect(chooseLessons(candidates, {}, { k: 0, now: NOW, rng: seededRng(2) })).toEqual([]);
  });

  it("gives the same choice for a seed whatever the candidates' order", () => {
    const record = { p: stats(3, 2), q: stats(2, 3), r: stats(4, 4) };
    const forward = [
      { id: "p", relevance: 1 },
      { id: "q", relevance: 1 },
      { id: "r", relevance: 1 },
    ];
    const once = chooseLessons(forward, record, { k: 3, now: NOW, rng: seededRng(21) });
    const reversed = chooseLessons([...forward].reverse(), record, { k: 3, now: NOW, rng: seededRng(21) });
    expect(reversed).toEqual(once);
  });

  it("breaks a tie in θ by relevance, then by id", () => {
    // A constant rng makes every draw from the same posterior identical.
    const constant: Rng = () => 0.42;
    const chosen = chooseLessons(
      [
        { id: "b", relevance: 0.3 },
        { id: "c", relevance: 0.9 },
        { id: "a", relevance: 0.3 },
      ],
      {},
      { k: 3, now: NOW, rng: constant },
    );
    expect(chosen[0]!.theta).toBe(chosen[2]!.theta);
    expect(chosen.map((c) => c.id)).toEqual(["c", "a", "b"]);
  });

  it("reads an id such as `constructor` as unknown, not from Object.prototype", () => {
    const [choice] = chooseLessons([{ id: "constructor", relevance: 1 }], {}, { k: 1, now: NOW, rng: seededRng(6) });
    expect(choice).toMatchObject({ alpha: 1, beta: 1 });
  });

  it("starts from the Beta(1, 1) prior", () => {
    expect(prior(NOW)).toEqual(stats(1, 1));
  });
});
