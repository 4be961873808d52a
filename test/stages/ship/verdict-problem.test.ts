import { describe, expect, it } from "vitest";
import { verdictProblem } from "../../../src/stages/ship/run-ship.js";

const HEAD = "b".repeat(40);
const OLD = "a".repeat(40);

describe("whether the head's verdict allows a merge", () => {
  it("allows only a pass at exactly the head", () => {
    expect(verdictProblem("pass", HEAD, HEAD)).toBeUndefined();
    expect(verdictProblem("pass", OLD, HEAD)).toMatch(/^the pass verdict at `aaaaaaa` is for an older head; the head is `bbbbbbb` now/);
    expect(verdictProblem("stale", OLD, HEAD)).toMatch(/is for an older head/);
    expect(verdictProblem("fail", HEAD, HEAD)).toMatch(/^the verdict at `bbbbbbb` is a fail/);
    expect(verdictProblem("no-evidence", HEAD, HEAD)).toMatch(/^nothing verified the head at `bbbbbbb`/);
    expect(verdictProblem("pending", undefined, HEAD)).toBe("the head is being verified; ship once it passes.");
    expect(verdictProblem("none", undefined, HEAD)).toBe("the head has no verdict yet; `/factory verify` runs the verifier.");
  });
});
