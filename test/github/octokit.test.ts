import nock from "nock";
import { describe, expect, it } from "vitest";
import { factoryOctokit, MAX_RETRY_AFTER_SECONDS, RATE_LIMIT_RETRIES, shouldRetry } from "../../src/github/octokit.js";

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

describe("no blind retries", () => {
  const octokit = () => new (factoryOctokit().defaults({ retry: { retryAfterBaseValue: 1 }, throttle: { enabled: false } }))({ auth: "ghs_test" });

  it("does not repeat a POST that creates something when its answer is a 502 (GitHub may have done it)", async () => {
    const scope = nock("https://api.github.com").post("/repos/o/r/issues/1/comments").reply(502, { message: "Server Error" });
    await expect(octokit().rest.issues.createComment({ owner: "o", repo: "r", issue_number: 1, body: "hi" })).rejects.toMatchObject({ status: 502 });
    expect(scope.isDone()).toBe(true);
  });

  it("retries reads, and POSTs that cannot make a second thing (labels, reactions)", async () => {
    nock("https://api.github.com").get("/repos/o/r/issues/1/comments").reply(502).get("/repos/o/r/issues/1/comments").reply(200, []);
    nock("https://api.github.com").post("/repos/o/r/issues/1/labels").reply(502).post("/repos/o/r/issues/1/labels").reply(200, []);
    const client = octokit();
    await expect(client.rest.issues.listComments({ owner: "o", repo: "r", issue_number: 1 })).resolves.toMatchObject({ status: 200 });
    await expect(client.rest.issues.addLabels({ owner: "o", repo: "r", issue_number: 1, labels: ["x"] })).resolves.toMatchObject({ status: 200 });
    expect(nock.pendingMocks()).toEqual([]);
  });
});
