import { describe, expect, it } from "vitest";
import { createScenario, VALID_BODY } from "../support/scenario.js";
import { routeKey } from "../support/test-app.js";

/**
 * The GitHub requests of the intake path, counted on a cold process (nothing
 * cached), each with the reason it is needed. A new request here must earn its line.
 */
const INTAKE_REQUESTS: Array<[string, number, string]> = [
  ["GET /app", 1, "the bot login whose blocks count (once per process)"],
  ["POST /app/installations/{installation_id}/access_tokens", 1, "installation token (cached by Probot for an hour)"],
  ["GET /repos/{owner}/{repo}/contents/{path}", 2, ".github/factory.yml, then the owner's .github repository (Probot's fallback) when absent"],
  ["GET /repos/{owner}/{repo}/issues/{issue_number}/comments", 1, "the issue's records: idempotency and the fold"],
  ["GET /repos/{owner}/{repo}/git/matching-refs/{ref}", 1, "branches an earlier try named for the issue (from a title since edited): its PR is adopted, not doubled"],
  ["GET /repos/{owner}/{repo}/branches/{branch}", 1, "default branch head and its tree, in one call"],
  ["POST /repos/{owner}/{repo}/git/commits", 1, "the empty commit (same tree) a draft PR needs"],
  ["POST /repos/{owner}/{repo}/git/refs", 1, "the artifact branch"],
  ["POST /repos/{owner}/{repo}/pulls", 1, "the draft PR; also the lock between concurrent handlers"],
  ["POST /repos/{owner}/{repo}/issues/{issue_number}/comments", 1, "the tracking comment with the artifact.opened record"],
  ["POST /repos/{owner}/{repo}/labels", 1, "the stage label with its colour (once per label per process)"],
  ["POST /repos/{owner}/{repo}/issues/{issue_number}/labels", 1, "mark the stage on the issue"],
];

/** The scout, in the same background job once the artifact is open, and the views moving on to build. */
const SCOUT_REQUESTS: Array<[string, number, string]> = [
  ["GET /repos/{owner}/{repo}/issues/{issue_number}/comments", 2, "the artifact's records again (issue and PR threads) before the line moves"],
  ["GET /repos/{owner}/{repo}/pulls/{pull_number}", 1, "the PR head: the commit the scout reads"],
  ["GET /repos/{owner}/{repo}/git/trees/{tree_sha}", 1, "every file at the head, in one recursive call"],
  ["GET /repos/{owner}/{repo}/git/blobs/{file_sha}", 2, "file contents the scout chose to read (here, all two)"],
  ["GET /repos/{owner}/{repo}/commits", 1, "recent commit messages, one page"],
  ["GET /repos/{owner}/{repo}/commits/{ref}", 1, "the files of the past commits that read like the request"],
  ["POST /repos/{owner}/{repo}/issues/{issue_number}/comments", 1, "the scout memo on the PR, with its record"],
  ["GET /repos/{owner}/{repo}/issues/{issue_number}/labels", 1, "the issue's labels, to change only what differs"],
  ["PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}", 1, "the tracking comment: scout done"],
  ["POST /repos/{owner}/{repo}/labels", 1, "the build stage label (once per process)"],
  ["POST /repos/{owner}/{repo}/issues/{issue_number}/labels", 1, "factory:stage/build"],
  ["DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}", 1, "factory:stage/scout"],
];

const LEDGER_REQUESTS: Array<[string, number, string]> = [
  ["GET /repos/{owner}/{repo}/contents/{path}", 2, "the ledger is its own event: .github/factory.yml again, and the owner's fallback"],
  ["GET /repos/{owner}/{repo}/issues", 3, "the ledger issue by its label; artifacts by the intake label (the first time: all of them); the demand queue's candidates by their label (at most every 10 minutes per process)"],
  ["GET /repos/{owner}/{repo}/issues/{issue_number}/comments", 2, "each artifact's records: issue thread and PR thread"],
  ["POST /repos/{owner}/{repo}/labels", 1, "the ledger label (once per process)"],
  ["POST /repos/{owner}/{repo}/issues", 1, "the ledger issue, the first time"],
  ["POST /graphql", 1, "pin it (pinning exists only in GraphQL), the first time"],
];

function total(list: Array<[string, number, string]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, count] of list) out[route] = (out[route] ?? 0) + count;
  return out;
}

describe("request cost", () => {
  it("intake and the scout make exactly the requests they need", async () => {
    const s = await createScenario();
    s.double.writeFile(".github/factory.yml", "ledger:\n  issue: false\n");
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    const expected = total([...INTAKE_REQUESTS, ...SCOUT_REQUESTS]);
    // The file exists here, so there is no fallback read of the owner's .github repository.
    expected["GET /repos/{owner}/{repo}/contents/{path}"] = 1;
    expect(s.app.routeCounts()).toEqual(expected);
    expect(s.app.requests).toHaveLength(12 + 14);
    expect(s.app.violations).toEqual([]);
  });

  it("the first ledger refresh adds these, after the line's own work", async () => {
    const s = await createScenario();
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    const expected = total([...INTAKE_REQUESTS, ...SCOUT_REQUESTS, ...LEDGER_REQUESTS]);
    // No .github/factory.yml here: the repository holds one file, so the scout reads one blob.
    expected["GET /repos/{owner}/{repo}/git/blobs/{file_sha}"] = 1;
    expect(s.app.routeCounts()).toEqual(expected);
    expect(s.app.requests).toHaveLength(13 + 13 + 10);
    expect(s.app.violations).toEqual([]);
  });

  it("a redelivered label event costs nothing: the inbox knows its delivery id", async () => {
    const s = await createScenario();
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    const event = s.label(issue);
    await s.deliver(event);
    await s.idle();
    const before = s.app.requests.length;
    await s.deliver(event);
    await s.idle();
    expect(s.app.requests.slice(before).map(routeKey)).toEqual([]);
  });

  it("the same label event under a new delivery id costs two reads after the config", async () => {
    const s = await createScenario();
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    const before = s.app.requests.length;
    await s.deliver({ ...s.label(issue), id: "another-delivery" });
    await s.idle();
    expect(s.app.requests.slice(before).map(routeKey)).toEqual([
      "GET /repos/{owner}/{repo}/contents/{path}",
      "GET /repos/{owner}/{repo}/contents/{path}",
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
      "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    ]);
  });
});
