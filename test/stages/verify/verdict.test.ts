import { describe, expect, it } from "vitest";
import { checkState, failureSummary, statusState, verdictOf, type Evidence } from "../../../src/stages/verify/verdict.js";

const ok = (name: string): Evidence => ({ kind: "check", name, state: "success" });

describe("verdictOf", () => {
  it("fails as soon as anything failed, even while other checks run", () => {
    expect(verdictOf([ok("lint"), { kind: "check", name: "test", state: "pending" }, { kind: "status", name: "ci/build", state: "failure" }])).toBe("fail");
  });

  it("is pending while anything runs and nothing failed", () => {
    expect(verdictOf([ok("lint"), { kind: "check", name: "test", state: "pending" }])).toBe("pending");
  });

  it("passes when everything passed or was neutral, and when there is no evidence", () => {
    expect(verdictOf([ok("lint"), { kind: "check", name: "docs", state: "neutral" }])).toBe("pass");
    expect(verdictOf([])).toBe("pass");
  });
});

describe("check and status states", () => {
  it("maps GitHub's conclusions to three words", () => {
    expect(checkState("queued", null)).toBe("pending");
    expect(checkState("in_progress", null)).toBe("pending");
    expect(checkState("completed", "success")).toBe("success");
    expect(checkState("completed", "skipped")).toBe("neutral");
    for (const c of ["failure", "cancelled", "timed_out", "action_required", "startup_failure", "stale"]) expect(checkState("completed", c)).toBe("failure");
    expect(statusState("pending")).toBe("pending");
    expect(statusState("error")).toBe("failure");
    expect(statusState("failure")).toBe("failure");
    expect(statusState("success")).toBe("success");
  });
});

describe("failureSummary", () => {
  it("names each failed piece of evidence and each failure with test, message and place, at most 15 lines each", () => {
    const summary = failureSummary([
      ok("lint"),
      {
        kind: "command",
        name: "npm test",
        state: "failure",
        failures: [{ test: "theme > dark", message: "expected 'light' to be 'dark'", file: "src/theme.test.ts", line: 4, lines: Array.from({ length: 40 }, (_, i) => `line ${i}`) }],
      },
      { kind: "status", name: "ci/build", state: "failure", url: "https://ci.example/1", failures: [{ message: "build broke", lines: [] }] },
    ]);
    expect(summary).toContain("Command `npm test` failed.");
    expect(summary).toContain("- theme > dark: expected 'light' to be 'dark' at src/theme.test.ts:4");
    expect(summary).toContain("    line 14");
    expect(summary).not.toContain("line 15");
    expect(summary).toContain("Status `ci/build` failed (https://ci.example/1).");
    expect(summary).not.toContain("lint");
  });

  it("says how many failures it left out", () => {
    const failures = Array.from({ length: 12 }, (_, i) => ({ message: `failure ${i}`, lines: [] }));
    const summary = failureSummary([{ kind: "check", name: "test", state: "failure", failures }], 10);
    expect(summary).toContain("failure 9");
    expect(summary).not.toContain("failure 10");
    expect(summary).toContain("… and 2 more failures.");
  });
});
