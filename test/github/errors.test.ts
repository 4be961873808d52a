import { describe, expect, it } from "vitest";
import { isBranchMoved, isHeadNotYetSeen, isRefusal, isTransient } from "../../src/github/errors.js";
import { LeaseLost } from "../../src/events/locks.js";

/** An error as Octokit throws it for an answer: the message, the status, the response. */
const answered = (status: number, message: string) => Object.assign(new Error(`${message} - https://docs.github.com/rest`), { name: "HttpError", status, response: { status, headers: {}, data: { message } } });

describe("what GitHub's answers mean to the line", () => {
  it("a branch that moved under a write is worth another try from a fresh read; other 422s are final", () => {
    const moved = answered(422, "Update is not a fast forward");
    expect(isBranchMoved(moved)).toBe(true);
    expect(isTransient(moved)).toBe(true);
    expect(isRefusal(moved)).toBe(false);
    const invalid = answered(422, "Validation Failed");
    expect(isBranchMoved(invalid)).toBe(false);
    expect(isTransient(invalid)).toBe(false);
    expect(isRefusal(invalid)).toBe(true);
  });

  it("a pull request refused for a head GitHub does not see is named (intake, which just made the branch, tries again); it is a refusal anywhere else", () => {
    const lagging = [
      answered(422, 'Validation Failed: {"resource":"PullRequest","code":"custom","message":"No commits between main and factory/7-dark-mode"}'),
      answered(422, 'Validation Failed: {"resource":"PullRequest","field":"head","code":"invalid"}'),
    ];
    for (const error of lagging) {
      expect(isHeadNotYetSeen(error)).toBe(true);
      expect(isTransient(error)).toBe(false);
      expect(isRefusal(error)).toBe(true);
    }
    const final = [
      answered(422, 'Validation Failed: {"resource":"PullRequest","field":"base","code":"invalid"}'),
      answered(422, 'Validation Failed: {"resource":"PullRequest","code":"custom","message":"A pull request already exists for octo-org:factory/7-dark-mode."}'),
    ];
    for (const error of final) expect([isHeadNotYetSeen(error), isRefusal(error)]).toEqual([false, true]);
  });

  it("only an answer GitHub gave is a refusal: a 5xx, a lost lock or a bug is not", () => {
    expect(isRefusal(answered(404, "Not Found"))).toBe(true);
    expect(isRefusal(answered(502, "Bad Gateway"))).toBe(false);
    expect(isRefusal(new LeaseLost("o/r#1"))).toBe(false);
    expect(isRefusal(new TypeError("x is undefined"))).toBe(false);
  });
});
