import { describe, expect, it } from "vitest";
import { failure, useDouble, type DoubleHarness } from "./use-double.js";

/** Reviews, check runs and suites, and commit statuses, over HTTP, against GitHub's contract. */

const repo = { owner: "octo-org", repo: "widgets" };
const A_JS = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
const FILES = { "README.md": "# widgets\n", "src/a.js": A_JS };
const OUTSIDE_DIFF = "Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank";

/**
 * A PR by the app whose `src/a.js` has two hunks: line 3 changed, line 11 added.
 * Its patch positions: line 3 (new) is position 4, line 5 is 6, line 11 is 12.
 */
async function pullWithTwoHunks(h: DoubleHarness): Promise<number> {
  h.double.push("feature", { "src/a.js": A_JS.replace("line 3\n", "LINE 3\n").concat("line 11\n") }, "Edit a.js", "alice");
  const { data } = await h.octokit.rest.pulls.create({ ...repo, head: "feature", base: "main", title: "Edit a.js" });
  h.take();
  return data.number;
}

describe("reviews over HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("a person's review: submitted, then one review comment per inline comment, each anchored in the diff", async () => {
    const pr = await pullWithTwoHunks(h);
    h.double.review(pr, "reviewer", {
      state: "REQUEST_CHANGES",
      body: "Two things",
      comments: [
        { path: "src/a.js", line: 3, body: "Why capitals?" },
        { path: "src/a.js", line: 11, body: "Trailing line" },
      ],
    });
    expect(h.take()).toEqual(["pull_request_review.submitted", "pull_request_review_comment.created", "pull_request_review_comment.created"]);
    expect(h.last("pull_request_review.submitted")).toMatchObject({ review: { state: "changes_requested", body: "Two things", user: { login: "reviewer" } }, pull_request: { number: pr }, sender: { login: "reviewer" } });
    expect(h.last("pull_request_review_comment.created")).toMatchObject({ comment: { body: "Trailing line", path: "src/a.js", line: 11, side: "RIGHT" }, pull_request: { number: pr } });

    const reviews = await h.octokit.paginate(h.octokit.rest.pulls.listReviews, { ...repo, pull_number: pr });
    expect(reviews).toMatchObject([{ state: "CHANGES_REQUESTED", body: "Two things", user: { login: "reviewer" }, commit_id: h.double.refs.get("heads/feature") }]);
    const id = reviews[0]?.id ?? 0;
    const inline = await h.octokit.paginate(h.octokit.rest.pulls.listCommentsForReview, { ...repo, pull_number: pr, review_id: id });
    expect(inline.map((c) => [c.path, c.position, c.body])).toEqual([
      ["src/a.js", 4, "Why capitals?"],
      ["src/a.js", 12, "Trailing line"],
    ]);
    expect(inline[0]?.diff_hunk).toBe("@@ -1,6 +1,6 @@\n line 1\n line 2\n-line 3\n+LINE 3");
    expect(inline[1]?.diff_hunk).toBe("@@ -8,3 +8,4 @@ line 7\n line 8\n line 9\n line 10\n+line 11");

    const page = await h.octokit.rest.pulls.listReviewComments({ ...repo, pull_number: pr, per_page: 1 });
    expect(page.data).toHaveLength(1);
    expect(page.headers.link).toContain('rel="next"');
    const all = await h.octokit.paginate(h.octokit.rest.pulls.listReviewComments, { ...repo, pull_number: pr, per_page: 1 });
    expect(all.map((c) => [c.line, c.pull_request_review_id])).toEqual([
      [3, id],
      [11, id],
    ]);
    expect((await h.octokit.rest.pulls.getReview({ ...repo, pull_number: pr, review_id: id })).data.state).toBe("CHANGES_REQUESTED");
    expect((await failure(h.octokit.rest.pulls.listCommentsForReview({ ...repo, pull_number: pr, review_id: 1 }))).status).toBe(404);
  });

  it("refuses what GitHub refuses (422): approving its own PR, a line outside the diff; a review without an event stays pending and silent", async () => {
    const pr = await pullWithTwoHunks(h);
    const own = await failure(h.octokit.rest.pulls.createReview({ ...repo, pull_number: pr, event: "APPROVE" }));
    expect(own).toMatchObject({ status: 422, message: "Unprocessable Entity", errors: ["Can not approve your own pull request"] });
    // Line 7 lies between the two hunks; README.md is not in the diff.
    for (const comment of [{ path: "src/a.js", line: 7, body: "x" }, { path: "README.md", line: 1, body: "x" }]) {
      expect(await failure(h.octokit.rest.pulls.createReview({ ...repo, pull_number: pr, event: "COMMENT", body: "see", comments: [comment] }))).toMatchObject({ status: 422, errors: [OUTSIDE_DIFF] });
    }
    expect(h.take()).toEqual([]);

    const { data: commented } = await h.octokit.rest.pulls.createReview({ ...repo, pull_number: pr, event: "COMMENT", body: "One note", comments: [{ path: "src/a.js", line: 5, body: "Context lines count" }] });
    expect(commented).toMatchObject({ state: "COMMENTED", user: { login: "software-factory[bot]" } });
    expect(h.take()).toEqual(["pull_request_review.submitted", "pull_request_review_comment.created"]);
    expect(h.last("pull_request_review_comment.created")).toMatchObject({ comment: { line: 5, position: 6 } });

    const { data: pending } = await h.octokit.rest.pulls.createReview({ ...repo, pull_number: pr, body: "Draft thoughts" });
    expect(pending).toMatchObject({ state: "PENDING" });
    expect(pending.submitted_at).toBeUndefined();
    expect(h.take()).toEqual([]);
    expect(await failure(h.octokit.rest.pulls.createReview({ ...repo, pull_number: pr, body: "More" }))).toMatchObject({ status: 422, errors: ["User can only have one pending review per pull request"] });
    expect(() => h.double.review(pr, "software-factory[bot]", { state: "APPROVE" })).toThrow(/Can not approve your own pull request/);
  });

  it("answers a review comment in its thread (in_reply_to), as a one-comment review", async () => {
    const pr = await pullWithTwoHunks(h);
    h.double.review(pr, "reviewer", { state: "COMMENT", body: "", comments: [{ path: "src/a.js", line: 3, body: "Why capitals?" }] });
    const [question] = await h.octokit.paginate(h.octokit.rest.pulls.listReviewComments, { ...repo, pull_number: pr });
    h.take();
    // The description requires commit_id and path even on a reply; GitHub then takes both from the thread.
    const { data: reply } = await h.octokit.rest.pulls.createReviewComment({ ...repo, pull_number: pr, body: "Shouting on purpose", in_reply_to: question?.id ?? 0, commit_id: "ignored", path: "ignored" });
    expect(reply).toMatchObject({ in_reply_to_id: question?.id, path: "src/a.js", line: 3, user: { login: "software-factory[bot]" } });
    expect(h.take()).toEqual(["pull_request_review.submitted", "pull_request_review_comment.created"]);
    const { data: line } = await h.octokit.rest.pulls.createReviewComment({ ...repo, pull_number: pr, body: "New thread", commit_id: h.double.refs.get("heads/feature") ?? "", path: "src/a.js", line: 11, side: "RIGHT" });
    expect(line).toMatchObject({ line: 11, position: 12 });
    expect((await h.octokit.paginate(h.octokit.rest.pulls.listReviewComments, { ...repo, pull_number: pr })).map((c) => c.body)).toEqual(["Why capitals?", "Shouting on purpose", "New thread"]);
  });
});

describe("check runs and suites over HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("the app's check run: created; in_progress is silent; completed with annotations, then its suite completed", async () => {
    const pr = await pullWithTwoHunks(h);
    const sha = h.double.refs.get("heads/feature") ?? "";
    const { data: created } = await h.octokit.rest.checks.create({ ...repo, name: "factory/verify", head_sha: sha, status: "queued" });
    expect(h.take()).toEqual(["check_run.created"]);
    expect(h.last("check_run.created")).toMatchObject({ check_run: { id: created.id, status: "queued", app: { slug: "software-factory" }, check_suite: { head_branch: "feature", head_sha: sha }, pull_requests: [{ number: pr }] } });

    await h.octokit.rest.checks.update({ ...repo, check_run_id: created.id, status: "in_progress", output: { title: "Running", summary: "…" } });
    expect(h.take()).toEqual([]);
    const annotations = [
      { path: "src/a.js", start_line: 3, end_line: 3, annotation_level: "failure" as const, message: "Expected lower case", title: "style" },
      { path: "src/a.js", start_line: 11, end_line: 11, annotation_level: "warning" as const, message: "Trailing line" },
    ];
    await h.octokit.rest.checks.update({ ...repo, check_run_id: created.id, conclusion: "failure", output: { title: "2 problems", summary: "See the annotations", annotations } });
    expect(h.take()).toEqual(["check_run.completed", "check_suite.completed"]);
    expect(h.last("check_suite.completed")).toMatchObject({ check_suite: { status: "completed", conclusion: "failure", head_branch: "feature", app: { slug: "software-factory" }, latest_check_runs_count: 1 } });

    const { data: run } = await h.octokit.rest.checks.get({ ...repo, check_run_id: created.id });
    expect(run).toMatchObject({ status: "completed", conclusion: "failure", output: { title: "2 problems", annotations_count: 2 } });
    expect(run.completed_at).not.toBeNull();
    const page = await h.octokit.rest.checks.listAnnotations({ ...repo, check_run_id: created.id, per_page: 1 });
    expect(page.headers.link).toContain('rel="next"');
    const listed = await h.octokit.paginate(h.octokit.rest.checks.listAnnotations, { ...repo, check_run_id: created.id, per_page: 1 });
    expect(listed.map((a) => [a.path, a.start_line, a.annotation_level, a.title])).toEqual([
      ["src/a.js", 3, "failure", "style"],
      ["src/a.js", 11, "warning", null],
    ]);
    // Annotations sent later are added to the ones before, as GitHub does.
    await h.octokit.rest.checks.update({ ...repo, check_run_id: created.id, output: { title: "3 problems", summary: "More", annotations: [{ path: "README.md", start_line: 1, end_line: 1, annotation_level: "notice", message: "Hi" }] } });
    expect((await h.octokit.rest.checks.get({ ...repo, check_run_id: created.id })).data.output.annotations_count).toBe(3);
    expect(h.take()).toEqual([]);
    expect((await failure(h.octokit.rest.checks.get({ ...repo, check_run_id: 1 }))).status).toBe(404);
    expect(await failure(h.octokit.rest.checks.create({ ...repo, name: "x", head_sha: "0".repeat(40) }))).toMatchObject({ status: 422 });
  });

  it("refuses what GitHub refuses: a summary or text over 65,535 bytes (counted in bytes, not characters), and another app's run (403)", async () => {
    h.double.ciChecks = ["factory/verify"];
    const sha = h.double.push("feature", { "src/a.js": "changed\n" }, "Change", "alice");
    h.take();
    const big = "✓".repeat(30_000); // 30,000 characters, 90,000 bytes
    const refused = await failure(h.octokit.rest.checks.create({ ...repo, name: "x", head_sha: sha, output: { title: "t", summary: big } }));
    expect(refused).toMatchObject({ status: 422, errors: [{ resource: "CheckRun", field: "summary", message: "summary exceeds a maximum bytesize of 65535" }] });
    const { data: mine } = await h.octokit.rest.checks.create({ ...repo, name: "y", head_sha: sha, output: { title: "t", summary: "✓".repeat(21_845) } });
    expect(await failure(h.octokit.rest.checks.update({ ...repo, check_run_id: mine.id, output: { title: "t", summary: "s", text: big } }))).toMatchObject({ status: 422 });
    // CI's run named like the app's: listed, and not the app's to update.
    const ci = (await h.octokit.rest.checks.listForRef({ ...repo, ref: sha, check_name: "factory/verify" })).data.check_runs[0];
    expect(ci?.app?.slug).toBe("github-actions");
    expect(await failure(h.octokit.rest.checks.update({ ...repo, check_run_id: ci?.id ?? 0, status: "in_progress" }))).toMatchObject({ status: 403 });
  });

  it("CI's suite completes with its last run; a re-run replaces the earlier one; runs list by name, status and latest", async () => {
    h.double.ciChecks = ["ci/test", "ci/lint"];
    const sha = h.double.push("feature", { "src/a.js": "changed\n" }, "Change", "alice");
    expect(h.take()).toEqual(["push", "create", "check_run.created", "check_run.created"]);

    h.double.completeCheck(sha, "ci/test", { conclusion: "failure", title: "1 failed" });
    expect(h.take()).toEqual(["check_run.completed"]);
    const queued = await h.octokit.rest.checks.listForRef({ ...repo, ref: sha, status: "queued" });
    expect(queued.data.check_runs.map((r) => r.name)).toEqual(["ci/lint"]);
    expect((await h.octokit.rest.checks.listForRef({ ...repo, ref: "feature", check_name: "ci/test" })).data).toMatchObject({ total_count: 1, check_runs: [{ conclusion: "failure", app: { slug: "github-actions" } }] });

    h.double.completeCheck(sha, "ci/lint", { conclusion: "success" });
    expect(h.take()).toEqual(["check_run.completed", "check_suite.completed"]);
    expect(h.last("check_suite.completed")).toMatchObject({ check_suite: { conclusion: "failure", app: { slug: "github-actions" }, head_sha: sha }, sender: { login: "github-actions[bot]" } });

    h.double.completeCheck(sha, "ci/test", { conclusion: "success", title: "all pass" });
    expect(h.take()).toEqual(["check_run.created", "check_run.completed", "check_suite.completed"]);
    expect(h.last("check_suite.completed")).toMatchObject({ check_suite: { conclusion: "success" } });

    const latest = await h.octokit.paginate(h.octokit.rest.checks.listForRef, { ...repo, ref: sha, per_page: 1 });
    expect(latest.map((r) => [r.name, r.conclusion])).toEqual([
      ["ci/test", "success"],
      ["ci/lint", "success"],
    ]);
    expect((await h.octokit.rest.checks.listForRef({ ...repo, ref: sha, filter: "all" })).data.total_count).toBe(3);
    const suites = await h.octokit.rest.checks.listSuitesForRef({ ...repo, ref: sha });
    expect(suites.data).toMatchObject({ total_count: 1, check_suites: [{ app: { slug: "github-actions" }, status: "completed", conclusion: "success", head_branch: "feature", latest_check_runs_count: 3 }] });
    expect((await h.octokit.rest.checks.listSuitesForRef({ ...repo, ref: sha, check_name: "nothing" })).data.total_count).toBe(0);
  });
});

describe("commit statuses over HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("sets statuses (announced as status), lists them newest first, and combines the latest per context", async () => {
    const sha = h.double.push("feature", { "f.txt": "f\n" }, "F");
    h.take();
    const { data } = await h.octokit.rest.repos.createCommitStatus({ ...repo, sha, state: "pending", context: "factory/gate", description: "Waiting" });
    expect(data).toMatchObject({ state: "pending", context: "factory/gate", creator: { login: "software-factory[bot]" } });
    expect(h.take()).toEqual(["status"]);
    expect(h.last("status")).toMatchObject({ sha, state: "pending", context: "factory/gate", branches: [{ name: "feature" }], commit: { sha } });
    expect((await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha })).data).toMatchObject({ state: "pending", total_count: 1 });

    h.double.setStatus(sha, "ci/build", "success", "Built");
    await h.octokit.rest.repos.createCommitStatus({ ...repo, sha, state: "success", context: "factory/gate" });
    expect(h.take()).toEqual(["status", "status"]);
    const combined = await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: "feature" });
    expect(combined.data).toMatchObject({ state: "success", sha, total_count: 2 });
    expect(combined.data.statuses.map((s) => [s.context, s.state])).toEqual([
      ["factory/gate", "success"],
      ["ci/build", "success"],
    ]);
    const listed = await h.octokit.paginate(h.octokit.rest.repos.listCommitStatusesForRef, { ...repo, ref: sha, per_page: 2 });
    expect(listed.map((s) => [s.context, s.state])).toEqual([
      ["factory/gate", "success"],
      ["ci/build", "success"],
      ["factory/gate", "pending"],
    ]);
    h.double.setStatus(sha, "ci/build", "error");
    expect((await h.octokit.rest.repos.getCombinedStatusForRef({ ...repo, ref: sha })).data.state).toBe("failure");
    expect(await failure(h.octokit.rest.repos.createCommitStatus({ ...repo, sha: "0".repeat(40), state: "success" }))).toMatchObject({ status: 422, message: `No commit found for SHA: ${"0".repeat(40)}` });
  });
});
