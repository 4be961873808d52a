import { describe, expect, it } from "vitest";
import { issueTitle, scoreRanking, summarise, type CaseScore } from "../../../src/stages/scout/metrics.js";

const ranked = (n: number) => Array.from({ length: n }, (_, i) => `f${i + 1}`);

describe("scoreRanking", () => {
  it("scores a single gold file at rank 1", () => {
    expect(scoreRanking(["gold", "b", "c"], ["gold"])).toEqual({ "recall@1": 1, "recall@5": 1, "recall@10": 1, "hit@5": 1, mrr: 1 });
  });

  it("scores a single gold file at rank 3: no recall@1, hit@5, MRR 1/3", () => {
    expect(scoreRanking(["a", "b", "gold", "d"], ["gold"])).toEqual({ "recall@1": 0, "recall@5": 1, "recall@10": 1, "hit@5": 1, mrr: 1 / 3 });
  });

  it("counts rank 5 inside and rank 6 outside the top five", () => {
    const fifth = ranked(10).map((p, i) => (i === 4 ? "gold" : p));
    const sixth = ranked(10).map((p, i) => (i === 5 ? "gold" : p));
    expect(scoreRanking(fifth, ["gold"])).toMatchObject({ "recall@5": 1, "hit@5": 1, mrr: 1 / 5 });
    expect(scoreRanking(sixth, ["gold"])).toEqual({ "recall@1": 0, "recall@5": 0, "recall@10": 1, "hit@5": 0, mrr: 1 / 6 });
  });

  it("counts rank 10 inside and rank 11 outside the top ten", () => {
    const tenth = ranked(12).map((p, i) => (i === 9 ? "gold" : p));
    const eleventh = ranked(12).map((p, i) => (i === 10 ? "gold" : p));
    expect(scoreRanking(tenth, ["gold"])["recall@10"]).toBe(1);
    expect(scoreRanking(eleventh, ["gold"])).toEqual({ "recall@1": 0, "recall@5": 0, "recall@10": 0, "hit@5": 0, mrr: 1 / 11 });
  });

  it("gives partial recall for several gold files, and MRR from the first one found", () => {
    // Gold at ranks 2 and 7, a third never ranked.
    const ranking = ["a", "g1", "c", "d", "e", "f", "g2", "h"];
    const score = scoreRanking(ranking, ["g1", "g2", "g3"]);
    expect(score["recall@1"]).toBe(0);
    expect(score["recall@5"]).toBeCloseTo(1 / 3, 12);
    expect(score["recall@10"]).toBeCloseTo(2 / 3, 12);
    expect(score["hit@5"]).toBe(1);
    expect(score.mrr).toBe(1 / 2);
  });

  it("scores zero everywhere when the gold file is not ranked at all, or nothing is", () => {
    const zero = { "recall@1": 0, "recall@5": 0, "recall@10": 0, "hit@5": 0, mrr: 0 };
    expect(scoreRanking(["a", "b"], ["gold"])).toEqual(zero);
    expect(scoreRanking([], ["gold"])).toEqual(zero);
  });

  it("scores zero, not NaN, when the case has no gold files", () => {
    const score = scoreRanking(["a"], []);
    for (const value of Object.values(score)) expect(value).toBe(0);
  });

  it("counts a path the ranking repeats once: recall never exceeds 1", () => {
    const score = scoreRanking(["g1", "g1", "g1", "g2"], ["g1", "g2"]);
    expect(score["recall@1"]).toBe(0.5);
    expect(score["recall@5"]).toBe(1);
    expect(score["recall@10"]).toBe(1);
    expect(score.mrr).toBe(1);
  });

  it("counts a gold path listed twice once: finding it is full recall", () => {
    const score = scoreRanking(["g1", "x"], ["g1", "g1"]);
    expect(score["recall@1"]).toBe(1);
    expect(score["recall@5"]).toBe(1);
  });
});

describe("summarise", () => {
  const score = (mrr: number, hit: number): CaseScore => ({ "recall@1": mrr === 1 ? 1 : 0, "recall@5": hit, "recall@10": hit, "hit@5": hit, mrr });

  it("averages every metric over the cases, rounded to three places", () => {
    const summary = summarise([score(1, 1), score(0.5, 1), score(0, 0)], [10, 20, 30]);
    expect(summary).toMatchObject({ cases: 3, "recall@1": 0.333, "recall@5": 0.667, "recall@10": 0.667, "hit@5": 0.667, mrr: 0.5 });
  });

  it("takes the median and p95 of the times, whatever their order", () => {
    expect(summarise([score(1, 1)], [30, 10, 20])).toMatchObject({ median_ms: 20, p95_ms: 30 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarise([], hundred)).toMatchObject({ median_ms: 50, p95_ms: 95 });
    const twenty = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(summarise([], twenty).p95_ms).toBe(19);
  });

  it("sorts times as numbers, not as text", () => {
    expect(summarise([], [9, 100, 20])).toMatchObject({ median_ms: 20, p95_ms: 100 });
  });

  it("uses the single time for both median and p95", () => {
    expect(summarise([score(1, 1)], [12.3456])).toMatchObject({ median_ms: 12.346, p95_ms: 12.346 });
  });

  it("is all zeros for no cases", () => {
    expect(summarise([], [])).toEqual({ cases: 0, "recall@1": 0, "recall@5": 0, "recall@10": 0, "hit@5": 0, mrr: 0, median_ms: 0, p95_ms: 0 });
  });
});

describe("issueTitle", () => {
  it("drops a conventional-commit prefix, with scope and breaking mark", () => {
    expect(issueTitle("fix(cli)!: crash on empty --repo")).toBe("crash on empty --repo");
    expect(issueTitle("feat: dark mode")).toBe("dark mode");
    expect(issueTitle("Docs(readme):   typo in install steps  ")).toBe("typo in install steps");
  });

  it("leaves a plain title alone, including colons later in it", () => {
    expect(issueTitle("Crash on startup")).toBe("Crash on startup");
    expect(issueTitle("Support key: value pairs in labels")).toBe("Support key: value pairs in labels");
    expect(issueTitle("  padded  ")).toBe("padded");
  });

  it("keeps an error name a title starts with: it is the most telling word", () => {
    expect(issueTitle("TypeError: cannot read properties of undefined")).toBe("TypeError: cannot read properties of undefined");
  });
});
