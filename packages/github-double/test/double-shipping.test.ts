import { describe, expect, it } from "vitest";
import { failure, useDouble, type DoubleHarness } from "./use-double.js";

/** What shipping needs of GitHub, over HTTP, against its contract: review rules, merge methods, update-branch, releases. */

const repo = { owner: "octo-org", repo: "widgets" };
const DECISION = "query($owner: String!, $repo: String!, $number: Int!) { repository(owner: $owner, name: $repo) { pullRequest(number: $number) { reviewDecision } } }";

async function pull(h: DoubleHarness, branch = "feature"): Promise<number> {
  h.double.push(branch, { [`src/${branch}.js`]: "export {};\n" }, `Add ${branch}`, "alice");
  const { data } = await h.octokit.rest.pulls.create({ ...repo, head: branch, base: "main", title: `Add ${branch}` });
  h.take();
  return data.number;
}

const decision = async (h: DoubleHarness, number: number) =>
  ((await h.octokit.graphql(DECISION, { ...repo, number })) as { repository: { pullRequest: { reviewDecision: string | null } } }).repository.pullRequest.reviewDecision;

describe("branch protection's reviews", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next));

  it("reviewDecision is null with no rule; REVIEW_REQUIRED, CHANGES_REQUESTED and APPROVED with one; merging waits for it", async () => {
    const pr = await pull(h);
    expect(await decision(h, pr)).toBeNull();
    h.double.reviewRules.set("main", { approvals: 1 });
    expect(await decision(h, pr)).toBe("REVIEW_REQUIRED");
    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: pr }))).toMatchObject({ status: 405, message: "At least 1 approving review is required by reviewers with write access." });
    h.double.review(pr, "carol", { state: "REQUEST_CHANGES", body: "Not yet" });
    expect(await decision(h, pr)).toBe("CHANGES_REQUESTED");
    h.double.review(pr, "carol", { state: "APPROVE" });
    expect(await decision(h, pr)).toBe("APPROVED");
    const { data } = await h.octokit.rest.pulls.merge({ ...repo, pull_number: pr, merge_method: "squash" });
    expect(data.merged).toBe(true);
  });

  it("required status checks: a merge waits for them on the PR's head (405), and a direct update of the branch to a commit without them is refused (422)", async () => {
    const pr = await pull(h);
    h.double.protection.set("main", ["ci/test"]);
    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: pr }))).toMatchObject({ status: 405, message: 'Required status check "ci/test" is expected.' });
    const main = h.double.refs.get("heads/main") ?? "";
    const { data: head } = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: main });
    const { data: tree } = await h.octokit.rest.git.createTree({ ...repo, base_tree: head.tree.sha, tree: [{ path: "NOTE.md", mode: "100644", type: "blob", content: "note\n" }] });
    const { data: commit } = await h.octokit.rest.git.createCommit({ ...repo, message: "A note", tree: tree.sha, parents: [main] });
    expect(await failure(h.octokit.rest.git.updateRef({ ...repo, ref: "heads/main", sha: commit.sha }))).toMatchObject({ status: 422, message: "Protected branch update failed for refs/heads/main.\n\n1 of 1 required status checks are expected." });
    h.double.setStatus(h.double.refs.get("heads/feature") ?? "", "ci/test", "success");
    await h.octokit.rest.pulls.merge({ ...repo, pull_number: pr });
    h.double.setStatus(commit.sha, "ci/test", "success");
    await h.octokit.rest.git.updateRef({ ...repo, ref: "heads/main", sha: commit.sha, force: true });
    expect(h.double.refs.get("heads/main")).toBe(commit.sha);
  });

  it("refuses a merge method the repository does not allow, and says which methods it allows", async () => {
    const pr = await pull(h);
    h.double.mergeMethods = { merge: false, squash: true, rebase: false };
    const { data } = await h.octokit.rest.repos.get(repo);
    expect([data.allow_merge_commit, data.allow_squash_merge, data.allow_rebase_merge]).toEqual([false, true, false]);
    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: pr, merge_method: "merge" }))).toMatchObject({ status: 405, message: "Merge commits are not allowed on this repository." });
  });
});

describe("merging the base into a PR's branch (POST /merges: update-branch is not open to apps)", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next));

  it("merges with a commit by the app (a push: synchronize); 204 when there is nothing new; 409 on a conflict", async () => {
    const pr = await pull(h);
    const head = (await h.octokit.rest.pulls.get({ ...repo, pull_number: pr })).data.head.sha;
    expect((await h.octokit.rest.repos.merge({ ...repo, base: "feature", head: "main" })).status).toBe(204);
    h.double.writeFile("README.md", "# widgets, newer\n");
    h.take();
    const { status, data } = await h.octokit.rest.repos.merge({ ...repo, base: "feature", head: "main", commit_message: "Merge main into feature" });
    expect(status).toBe(201);
    expect(h.take()).toEqual(["push", "pull_request.synchronize"]);
    expect(data.parents.map((p) => p.sha)).toEqual([head, h.double.git.refSha("heads/main")]);
    expect(h.double.git.readFile(data.sha, "README.md")).toBe("# widgets, newer\n");
    h.double.writeFile("src/feature.js", "export const main = 1;\n");
    h.double.push("feature", { "src/feature.js": "export const feature = 2;\n" }, "Clash", "alice");
    h.take();
    expect(await failure(h.octokit.rest.repos.merge({ ...repo, base: "feature", head: "main" }))).toMatchObject({ status: 409, message: "Merge conflict" });
  });
});

describe("releases", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next));

  it("creates a draft, lists it newest first, and edits its notes", async () => {
    const { data: draft } = await h.octokit.rest.repos.createRelease({ ...repo, tag_name: "next", name: "Next", body: "## Features\n", draft: true });
    expect(draft).toMatchObject({ draft: true, tag_name: "next", published_at: null });
    await h.octokit.rest.repos.updateRelease({ ...repo, release_id: draft.id, body: "## Features\n\n- Dark mode (#7)\n" });
    const { data: list } = await h.octokit.rest.repos.listReleases(repo);
    expect(list.map((r) => [r.id, r.draft, r.body])).toEqual([[draft.id, true, "## Features\n\n- Dark mode (#7)\n"]]);
    expect(await failure(h.octokit.rest.repos.createRelease({ ...repo, tag_name: "" }))).toMatchObject({ status: 422 });
  });
});
