import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_SECONDS, RATE_LIMIT_RETRIES, shouldRetry } from "../../src/github/octokit.js";

const request = (retryCount: number) => ({ method: "POST", url: "/repos/{owner}/{repo}/issues/{issue_number}/comments", request: { retryCount } });

describe("the rate-limit policy", () => {
  it("retries a secondary limit (Probot's default does not), up to the cap", () => {
    const lines: string[] = [];
    const log = { warn: (m: string) => lines.push(m) };
    const decisions = Array.from({ length: RATE_LIMIT_RETRIES + 1 }, (_, n) => shouldRetry("secondary", 1, request(n), log));
    expect(decisions).toEqual([true, true, true, false]);
    expect(lines[0]).toBe("secondary rate limit on POST /repos/{owner}/{repo}/issues/{issue_number}/comments: retry 1 of 3 in 1 s");
    expect(lines.at(-1)).toMatch(/giving up after 3 retries/);
  });

  it("does not hold a job for a long retry-after", () => {
    const log = { warn: () => {} };
    expect(shouldRetry("primary", MAX_RETRY_AFTER_SECONDS, request(0), log)).toBe(true);
    expect(shouldRetry("primary", MAX_RETRY_AFTER_SECONDS + 1, request(0), log)).toBe(false);
  });
});
