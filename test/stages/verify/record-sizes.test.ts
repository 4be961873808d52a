import { describe, expect, it } from "vitest";
import { clipLine, lastLines } from "../../../src/cells/process.js";
import { reviewRecord } from "../../../src/events/handle-pull-end.js";
import { compactEvidence } from "../../../src/stages/verify/run-verify.js";
import { failureSummary, SUMMARY_LIMIT, type Evidence } from "../../../src/stages/verify/verdict.js";
import { encodeBlock } from "../../../src/state/codec.js";
import { recordData } from "../../../src/state/records.js";

/** Output a tool can print: one enormous line (a minified bundle, a JSON result), many failures. */
const huge = "x".repeat(200_000);

describe("what reaches a hidden record stays small enough for its comment", () => {
  it("a process's last lines are clipped, saying by how much", () => {
    const lines = lastLines({ stdout: `ok\n${huge}\n`, stderr: "" });
    expect(lines[0]).toBe("ok");
    expect(lines[1]?.length).toBeLessThan(500);
    expect(lines[1]).toContain("(199600 more characters)");
    expect(clipLine("short")).toBe("short");
  });

  it("the failure summary is capped, and says it was cut", () => {
    const failures = Array.from({ length: 10 }, (_, i) => ({ test: `t${i}`, message: huge, lines: Array.from({ length: 15 }, () => huge) }));
    const summary = failureSummary([{ kind: "command", name: "npm test", state: "failure", failures }]);
    expect(summary.length).toBeLessThanOrEqual(SUMMARY_LIMIT + 100);
    expect(summary).toContain("- t0: xxx");
    expect(summary).toMatch(/the summary was cut at 16000 characters\)$/);
  });

  it("recorded command evidence fits its budget and keeps every failure's name and place", () => {
    const evidence: Evidence[] = Array.from({ length: 20 }, (_, i) => ({
      kind: "command",
      name: `cmd ${i}`,
      state: "failure",
      failures: Array.from({ length: 5 }, (_, j) => ({ test: `t${j}`, message: huge, file: "src/a.ts", line: j + 1, lines: Array.from({ length: 15 }, () => huge) })),
    }));
    const compact = compactEvidence(evidence);
    expect(JSON.stringify(compact).length).toBeLessThanOrEqual(45_000);
    expect(compact).toHaveLength(20);
    expect(compact[19]?.failures?.[4]).toMatchObject({ test: "t4", file: "src/a.ts", line: 5 });
    // Small evidence is kept with its excerpts.
    const small: Evidence[] = [{ kind: "command", name: "npm test", state: "failure", failures: [{ message: "boom", lines: ["a", "b"] }] }];
    expect(compactEvidence(small)).toEqual(small);
  });

  it("a review record keeps the review's words within a budget and counts the comments it left out", () => {
    const comments = Array.from({ length: 100 }, (_, i) => ({ path: `src/f${i}.ts`, line: i, body: huge, url: `https://github.com/o/r/pull/2#discussion_r${i}` }));
    const data = reviewRecord("maintainer", { id: 9, html_url: "https://github.com/o/r/pull/2#pullrequestreview-9", body: huge }, comments);
    expect(JSON.stringify(data).length).toBeLessThanOrEqual(35_000);
    expect(data.comments.length).toBeGreaterThan(5);
    expect(data.body).toMatch(/\(\d+ more inline comments on the PR, not repeated here\)$/);
    expect(recordData["review.changes_requested"].safeParse(data).success).toBe(true);
  });

  it("a review of nothing but `<` is counted as it takes room in the record (six characters each), not as it is typed", () => {
    const angry = "<".repeat(65_536);
    const comments = Array.from({ length: 100 }, (_, i) => ({ path: `src/f${i}.ts`, line: i, body: angry, url: `https://github.com/o/r/pull/2#discussion_r${i}` }));
    const data = reviewRecord("maintainer", { id: 9, html_url: "https://github.com/o/r/pull/2#pullrequestreview-9", body: angry }, comments);
    expect(encodeBlock(data).length).toBeLessThanOrEqual(35_000);
    expect(data.body.startsWith("<".repeat(1_000))).toBe(true);
  });
});
