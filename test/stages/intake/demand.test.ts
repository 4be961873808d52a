import { describe, expect, it } from "vitest";
import { queueLines, rankCandidates, type Candidate } from "../../../src/stages/intake/demand.js";

const NOW = Date.parse("2026-11-29T00:00:00Z");
const candidate = (number: number, more: Partial<Candidate>): Candidate => ({
  number,
  title: `Request ${number}`,
  labels: [],
  createdAt: "2026-11-28T00:00:00Z",
  reactions: { up: 0, down: 0, other: 0 },
  commenters: 0,
  linked: 0,
  duplicates: 0,
  ...more,
});

describe("rankCandidates", () => {
  it("ranks three candidates by their reactions and labels, explaining each score in words", () => {
    const ranked = rankCandidates(
      [
        candidate(1, { title: "Dark mode", reactions: { up: 2, down: 0, other: 1 } }),
        candidate(2, { title: "Crash on save", labels: ["bug", "regression"] }),
        candidate(3, { title: "Emoji picker", reactions: { up: 1, down: 3, other: 0 } }),
      ],
      [],
      NOW,
    );
    expect(ranked.map((r) => [r.number, r.score])).toEqual([
      [2, 13],
      [1, 7],
      [3, -3],
    ]);
    expect(ranked[0]?.why).toEqual(["labelled `regression` (+8)", "labelled `bug` (+5)"]);
    expect(ranked[1]?.why).toEqual(["2 👍 (+3 each)", "1 other positive reaction (+1 each)"]);
    expect(ranked[2]?.why).toEqual(["3 👎 (−2 each)", "1 👍 (+3 each)"]);
    expect(queueLines(ranked)[0]).toBe("1. #2 Crash on save (score 13): labelled `regression` (+8); labelled `bug` (+5)");
  });

  it("counts commenters, links, duplicates and waiting time", () => {
    const [r] = rankCandidates([candidate(4, { commenters: 3, linked: 1, duplicates: 2, createdAt: "2026-01-01T00:00:00Z" })], [], NOW);
    expect(r?.why).toEqual(["2 duplicates point here (+4 each)", "3 people besides the author commented (+2 each)", "waiting 47 weeks (+5)", "mentioned by 1 other issue (+3 each)"]);
    expect(r?.score).toBe(22);
  });

  it("ranks kinds that shipped cleanly up and kinds that failed down, with the evidence, once there are at least two", () => {
    const outcomes = [
      { kind: "docs", clean: 4, reworked: 0, failed: 0 },
      { kind: "refactor", clean: 0, reworked: 1, failed: 3 },
      { kind: "ui", clean: 1, reworked: 0, failed: 0 },
    ];
    const ranked = rankCandidates([candidate(5, { labels: ["refactor"] }), candidate(6, { labels: ["docs"] }), candidate(7, { labels: ["ui"] })], outcomes, NOW);
    expect(ranked.map((r) => [r.number, r.score])).toEqual([
      [6, 5],
      [7, 0],
      [5, -3.7],
    ]);
    expect(ranked[0]?.why).toEqual(["`docs` requests the factory finished: 4 of 4 merged without requested changes, 0 blocked, closed or reverted (+5)"]);
    expect(ranked[2]?.why).toEqual(["`refactor` requests the factory finished: 0 of 4 merged without requested changes, 3 blocked, closed or reverted (−3.7)"]);
    // One finished artifact of a kind is not yet evidence.
    expect(ranked[1]?.why).toEqual([]);
  });
});
