import { describe, expect, it } from "vitest";
import { checkState, failureSummary, judge, nameMatches, statusState, type Evidence } from "../../../src/stages/verify/verdict.js";

const ok = (name: string): Evidence => ({ kind: "check", name, state: "success" });

describe("judge", () => {
  const none = { required: [], graceOver: true, accepted: false };
  const pending = (name: string): Evidence => ({ kind: "check", name, state: "pending" });
  const command = (state: Evidence["state"]): Evidence => ({ kind: "command", name: "npm test", state });

  it("fails as soon as anything failed, even while other checks run or required ones are missing", () => {
    expect(judge([ok("lint"), pending("test"), { kind: "status", name: "ci/build", state: "failure" }], { ...none, required: ["e2e"] })).toEqual({ verdict: "fail" });
  });

  it("waits for every check that runs, by name", () => {
    expect(judge([ok("lint"), pending("test")], none)).toEqual({ verdict: "pending", waitingOn: ["test"], missing: [], registering: false });
  });

  it("waits for every required check, by name or glob, until it has reported, whatever else passed", () => {
    const required = ["ci/*", "e2e"];
    expect(judge([ok("lint")], { ...none, required })).toEqual({ verdict: "pending", waitingOn: ["ci/*", "e2e"], missing: ["ci/*", "e2e"], registering: false });
    expect(judge([ok("lint"), ok("ci/test (ubuntu)")], { ...none, required })).toEqual({ verdict: "pending", waitingOn: ["e2e"], missing: ["e2e"], registering: false });
    expect(judge([ok("CI/Test (ubuntu)"), { kind: "status", name: "e2e", state: "neutral" }], { ...none, required })).toEqual({ verdict: "pass" });
    // A verify command does not stand in for a required check.
    expect(judge([{ kind: "command", name: "e2e", state: "success" }, ok("ci/x")], { ...none, required })).toMatchObject({ verdict: "pending", waitingOn: ["e2e"] });
  });

  it("passes when what ran passed (neutral counts), with nothing required", () => {
    expect(judge([ok("lint"), { kind: "check", name: "docs", state: "neutral" }], { ...none, graceOver: false })).toEqual({ verdict: "pass" });
  });

  it("waits for CI to register while its grace period runs, commands or not; then the commands decide", () => {
    expect(judge([], { ...none, graceOver: false })).toEqual({ verdict: "pending", waitingOn: [], missing: [], registering: true });
    expect(judge([command("success")], { ...none, graceOver: false })).toEqual({ verdict: "pending", waitingOn: [], missing: [], registering: true });
    expect(judge([command("success")], none)).toEqual({ verdict: "pass" });
    expect(judge([command("failure")], { ...none, graceOver: false })).toEqual({ verdict: "fail" });
  });

  it("no evidence at all after the grace period is no evidence, never a pass, unless a person accepted it", () => {
    expect(judge([], none)).toEqual({ verdict: "no-evidence" });
    expect(judge([], { ...none, accepted: true })).toEqual({ verdict: "pass" });
    expect(judge([], { ...none, graceOver: false, accepted: true })).toEqual({ verdict: "pass" });
  });

  it("matches names and globs without case; a glob's other characters are literal", () => {
    expect(nameMatches("ci/*", "ci/test (ubuntu-latest, 20)")).toBe(true);
    expect(nameMatches("build ?", "Build 1")).toBe(true);
    expect(nameMatches("a.b", "axb")).toBe(false);
    expect(nameMatches("test", "tests")).toBe(false);
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
