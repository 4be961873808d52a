import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { failure, useDouble, type DoubleHarness } from "./use-double.js";

/** Pulls, merging and the Git Data API, over HTTP, against GitHub's contract. */

const run = promisify(execFile);
const repo = { owner: "octo-org", repo: "widgets" };
const A_JS = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
const FILES = {
  "README.md": "# widgets\n",
  "src/a.js": A_JS,
  "src/old-name.js": "export const name = 'old';\n".repeat(5),
  "docs/remove-me.md": "gone soon\n",
};

type Entry = { path: string; mode: "100644"; type: "blob"; content?: string; sha?: string | null };

/** A branch from main with one commit of these tree changes, made through the Git Data API. */
async function branchWith(h: DoubleHarness, branch: string, tree: Entry[], message = `change ${branch}`): Promise<string> {
  const { data: main } = await h.octokit.rest.git.getRef({ ...repo, ref: "heads/main" });
  const { data: base } = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: main.object.sha });
  const { data: created } = await h.octokit.rest.git.createTree({ ...repo, base_tree: base.tree.sha, tree });
  const { data: commit } = await h.octokit.rest.git.createCommit({ ...repo, message, tree: created.sha, parents: [main.object.sha] });
  await h.octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: commit.sha });
  return commit.sha;
}

async function openPull(h: DoubleHarness, head: string, options: { draft?: boolean; body?: string; title?: string } = {}): Promise<number> {
  const { data } = await h.octokit.rest.pulls.create({ ...repo, head, base: "main", title: options.title ?? `Change ${head}`, body: options.body ?? "", draft: options.draft ?? false });
  return data.number;
}

describe("pull requests over HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("lists a PR's files from git (added, modified, removed, renamed) with counts and patches, a page at a time", async () => {
    const head = await branchWith(h, "feature", [
      { path: "src/a.js", mode: "100644", type: "blob", content: A_JS.replace("line 3\n", "LINE 3\n").concat("line 11\n") },
      { path: "src/new.js", mode: "100644", type: "blob", content: "export {};\n" },
      { path: "docs/remove-me.md", mode: "100644", type: "blob", sha: null },
      { path: "src/old-name.js", mode: "100644", type: "blob", sha: null },
      { path: "src/new-name.js", mode: "100644", type: "blob", content: FILES["src/old-name.js"] },
    ]);
    const pr = await openPull(h, "feature");

    const first = await h.octokit.rest.pulls.listFiles({ ...repo, pull_number: pr, per_page: 2 });
    expect(first.data).toHaveLength(2);
    expect(first.headers.link).toContain(`<${h.server.apiUrl}/repos/octo-org/widgets/pulls/${pr}/files?per_page=2&page=2>; rel="next"`);
    expect(first.headers.link).toContain('rel="last"');

    const files = await h.octokit.paginate(h.octokit.rest.pulls.listFiles, { ...repo, pull_number: pr, per_page: 2 });
    const blob = (path: string) => h.double.git.run(["rev-parse", `${head}:${path}`]);
    expect(files.map((f) => [f.filename, f.status, f.additions, f.deletions, f.changes])).toEqual([
      ["docs/remove-me.md", "removed", 0, 1, 1],
      ["src/a.js", "modified", 2, 1, 3],
      ["src/new-name.js", "renamed", 0, 0, 0],
      ["src/new.js", "added", 1, 0, 1],
    ]);
    const byName = Object.fromEntries(files.map((f) => [f.filename, f]));
    // Two hunks, as git (and GitHub) cut them: the changes are more than six lines apart.
    expect(byName["src/a.js"]?.patch).toBe("@@ -1,6 +1,6 @@\n line 1\n line 2\n-line 3\n+LINE 3\n line 4\n line 5\n line 6\n@@ -8,3 +8,4 @@ line 7\n line 8\n line 9\n line 10\n+line 11");
    expect(byName["src/a.js"]?.sha).toBe(blob("src/a.js"));
    expect(byName["src/new-name.js"]).toMatchObject({ previous_filename: "src/old-name.js", sha: blob("src/new-name.js") });
    expect(byName["src/new-name.js"]?.patch).toBeUndefined();
    expect(byName["src/new.js"]?.patch).toBe("@@ -0,0 +1 @@\n+export {};");

    const { data: pull } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr });
    expect(pull).toMatchObject({ changed_files: 4, additions: 3, deletions: 2, commits: 1, mergeable: true, mergeable_state: "clean", head: { sha: head } });
  });

  it("lists a PR's commits oldest first, paginated", async () => {
    for (const n of [1, 2, 3]) h.double.push("feature", { [`notes/${n}.md`]: `${n}\n` }, `Commit ${n}`, "alice");
    const pr = await openPull(h, "feature");
    const page = await h.octokit.rest.pulls.listCommits({ ...repo, pull_number: pr, per_page: 2 });
    expect(page.headers.link).toContain('rel="next"');
    const commits = await h.octokit.paginate(h.octokit.rest.pulls.listCommits, { ...repo, pull_number: pr, per_page: 2 });
    expect(commits.map((c) => c.commit.message)).toEqual(["Commit 1", "Commit 2", "Commit 3"]);
    expect(commits[0]?.commit.author).toMatchObject({ name: "alice" });
    expect(commits[2]?.sha).toBe(h.double.refs.get("heads/feature"));
    expect(commits[1]?.parents[0]?.sha).toBe(commits[0]?.sha);
    expect((await failure(h.octokit.rest.pulls.listCommits({ ...repo, pull_number: 99 }))).status).toBe(404);
  });

  it("PATCH edits title, body and base (announced as edited), closes and reopens; draft is not settable there", async () => {
    await branchWith(h, "feature", [{ path: "x.txt", mode: "100644", type: "blob", content: "x\n" }]);
    await h.octokit.rest.git.createRef({ ...repo, ref: "refs/heads/release", sha: h.double.refs.get("heads/main") ?? "" });
    const pr = await openPull(h, "feature", { draft: true, title: "Old title", body: "Old body" });
    h.take();

    const { data } = await h.octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", { ...repo, pull_number: pr, title: "New title", body: "New body", base: "release", draft: false } as never);
    expect(data).toMatchObject({ title: "New title", body: "New body", base: { ref: "release" }, draft: true });
    expect(h.take()).toEqual(["pull_request.edited"]);
    expect(h.last("pull_request.edited")).toMatchObject({ changes: { title: { from: "Old title" }, body: { from: "Old body" }, base: { ref: { from: "main" } } }, pull_request: { title: "New title" } });

    await h.octokit.rest.pulls.update({ ...repo, pull_number: pr, state: "closed" });
    expect(h.take()).toEqual(["pull_request.closed"]);
    expect(h.last("pull_request.closed")).toMatchObject({ pull_request: { state: "closed", merged: false, merged_at: null } });
    await h.octokit.rest.pulls.update({ ...repo, pull_number: pr, state: "open" });
    expect(h.take()).toEqual(["pull_request.reopened"]);

    const bad = await failure(h.octokit.rest.pulls.update({ ...repo, pull_number: pr, base: "no-such-branch" }));
    expect(bad).toMatchObject({ status: 422, message: "Validation Failed", errors: [{ resource: "PullRequest", field: "base", code: "invalid" }] });
    expect((await failure(h.octokit.rest.pulls.update({ ...repo, pull_number: 42, title: "x" }))).status).toBe(404);
    expect(h.take()).toEqual([]);
  });

  it("merges with a merge commit on the base: push, then closed with merged: true, then the issue it fixes is closed", async () => {
    const issue = h.double.openIssue("alice", "Broken", "It breaks").number;
    const head = await branchWith(h, "feature", [{ path: "src/a.js", mode: "100644", type: "blob", content: A_JS.replace("line 9\n", "LINE 9\n") }]);
    const before = h.double.refs.get("heads/main") ?? "";
    const pr = await openPull(h, "feature", { title: "Fix the break", body: `Fixes #${issue}.` });
    h.take();

    expect((await failure(h.octokit.rest.pulls.checkIfMerged({ ...repo, pull_number: pr }))).status).toBe(404);
    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: pr, sha: before }))).toMatchObject({ status: 409, message: "Head branch was modified. Review and try the merge again." });
    const { data } = await h.octokit.rest.pulls.merge({ ...repo, pull_number: pr, sha: head });
    expect(data).toMatchObject({ merged: true, message: "Pull Request successfully merged" });

    const main = h.double.refs.get("heads/main");
    expect(main).toBe(data.sha);
    const commit = h.double.git.commit(data.sha);
    expect(commit.parents).toEqual([before, head]);
    expect(commit.message).toBe(`Merge pull request #${pr} from octo-org/feature\n\nFix the break`);
    expect(h.double.git.readFile(data.sha, "src/a.js")).toContain("LINE 9");

    expect(h.take()).toEqual(["push", "pull_request.closed", "issues.closed"]);
    expect(h.last("push")).toMatchObject({ ref: "refs/heads/main", before, after: data.sha, forced: false, created: false });
    expect(h.last("pull_request.closed")).toMatchObject({ number: pr, pull_request: { merged: true, merge_commit_sha: data.sha, merged_by: { login: "software-factory[bot]" }, state: "closed" } });
    expect(h.last("issues.closed")).toMatchObject({ issue: { number: issue, state: "closed" } });

    expect((await h.octokit.rest.pulls.checkIfMerged({ ...repo, pull_number: pr })).status).toBe(204);
    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: pr }))).toMatchObject({ status: 405, message: "Pull Request is not mergeable" });
    const { data: pull } = await h.octokit.rest.pulls.get({ ...repo, pull_number: pr });
    expect(pull).toMatchObject({ merged: true, state: "closed", mergeable: null, changed_files: 1, commits: 1 });
    expect((await failure(h.octokit.rest.pulls.update({ ...repo, pull_number: pr, state: "open" }))).status).toBe(422);
  });

  it("refuses to merge a draft or a conflicting PR (405), leaving the base and the webhooks untouched", async () => {
    await branchWith(h, "draft", [{ path: "d.txt", mode: "100644", type: "blob", content: "d\n" }]);
    const draft = await openPull(h, "draft", { draft: true });
    await branchWith(h, "clash", [{ path: "src/a.js", mode: "100644", type: "blob", content: A_JS.replace("line 5\n", "branch 5\n") }]);
    const clash = await openPull(h, "clash");
    h.double.push("main", { "src/a.js": A_JS.replace("line 5\n", "main 5\n") }, "Main edits line 5");
    const main = h.double.refs.get("heads/main");
    h.take();

    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: draft }))).toMatchObject({ status: 405, message: "Pull Request is still a draft" });
    const { data: pull } = await h.octokit.rest.pulls.get({ ...repo, pull_number: clash });
    expect(pull).toMatchObject({ mergeable: false, mergeable_state: "dirty" });
    expect(await failure(h.octokit.rest.pulls.merge({ ...repo, pull_number: clash }))).toMatchObject({ status: 405, message: "Pull Request is not mergeable" });
    expect(h.double.refs.get("heads/main")).toBe(main);
    expect(h.take()).toEqual([]);
  });

  it("squashes into one commit, and rebases the PR's commits onto a base that moved", async () => {
    h.double.push("squash-me", { "s1.txt": "1\n" }, "First", "alice");
    h.double.push("squash-me", { "s2.txt": "2\n" }, "Second", "alice");
    const squash = await openPull(h, "squash-me", { title: "Squash me" });
    const base = h.double.refs.get("heads/main") ?? "";
    const { data: squashed } = await h.octokit.rest.pulls.merge({ ...repo, pull_number: squash, merge_method: "squash" });
    expect(h.double.git.commit(squashed.sha)).toMatchObject({ parents: [base], message: `Squash me (#${squash})\n\n* First\n\n* Second` });
    expect(h.double.git.readAll(squashed.sha)).toMatchObject({ "s1.txt": "1\n", "s2.txt": "2\n" });

    h.double.push("rebase-me", { "r1.txt": "1\n" }, "R one", "bob");
    h.double.push("rebase-me", { "r2.txt": "2\n" }, "R two", "bob");
    h.double.push("main", { "elsewhere.txt": "e\n" }, "Main moves on");
    const onto = h.double.refs.get("heads/main") ?? "";
    const rebase = await openPull(h, "rebase-me");
    h.take();
    const { data: rebased } = await h.octokit.rest.pulls.merge({ ...repo, pull_number: rebase, merge_method: "rebase" });
    const replayed = h.double.git.commitsBetween(onto, rebased.sha);
    expect(replayed.map((c) => [c.message, c.author.name])).toEqual([["R one", "bob"], ["R two", "bob"]]);
    expect(replayed[0]?.parents).toEqual([onto]);
    expect(h.double.git.readAll(rebased.sha)).toMatchObject({ "r1.txt": "1\n", "r2.txt": "2\n", "elsewhere.txt": "e\n" });
    expect(h.take()).toEqual(["push", "pull_request.closed"]);
  });

  it("a person merges through the same path: the webhooks name them", async () => {
    h.double.push("feature", { "f.txt": "f\n" }, "F", "alice");
    const pr = await openPull(h, "feature");
    h.take();
    const sha = h.double.merge(pr, "maintainer", { merge_method: "squash" });
    expect(h.double.refs.get("heads/main")).toBe(sha);
    expect(h.take()).toEqual(["push", "pull_request.closed"]);
    expect(h.last("pull_request.closed")).toMatchObject({ sender: { login: "maintainer" }, pull_request: { merged_by: { login: "maintainer" } } });
    expect(() => h.double.merge(pr)).toThrow(/405.*Pull Request is not mergeable/);
  });

  it("GraphQL flips draft both ways and announces each change once", async () => {
    h.double.push("feature", { "f.txt": "f\n" }, "F");
    const pr = await openPull(h, "feature", { draft: true });
    const id = h.double.issues.get(pr)?.node_id;
    h.take();
    const ready = await h.octokit.graphql<{ markPullRequestReadyForReview: { pullRequest: { isDraft: boolean } } }>(
      "mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }",
      { id },
    );
    expect(ready.markPullRequestReadyForReview.pullRequest.isDraft).toBe(false);
    await h.octokit.graphql("mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }", { id });
    expect(h.take()).toEqual(["pull_request.ready_for_review"]);
    expect(h.last("pull_request.ready_for_review")).toMatchObject({ pull_request: { draft: false, number: pr } });
    await h.octokit.graphql("mutation($id: ID!) { convertPullRequestToDraft(input: { pullRequestId: $id }) { pullRequest { isDraft } } }", { id });
    expect(h.take()).toEqual(["pull_request.converted_to_draft"]);
    expect((await h.octokit.rest.pulls.get({ ...repo, pull_number: pr })).data.draft).toBe(true);
  });
});

describe("the Git Data API over HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("reads one ref, and the refs matching a prefix", async () => {
    const main = h.double.refs.get("heads/main") ?? "";
    for (const branch of ["feature/b", "feature/a", "other"]) await h.octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: main });
    expect((await h.octokit.rest.git.getRef({ ...repo, ref: "heads/feature/a" })).data).toMatchObject({ ref: "refs/heads/feature/a", object: { sha: main, type: "commit" } });
    const matching = await h.octokit.rest.git.listMatchingRefs({ ...repo, ref: "heads/feature/" });
    expect(matching.data.map((r) => r.ref)).toEqual(["refs/heads/feature/a", "refs/heads/feature/b"]);
    expect((await h.octokit.rest.git.listMatchingRefs({ ...repo, ref: "heads/nothing" })).data).toEqual([]);
    expect((await failure(h.octokit.rest.git.getRef({ ...repo, ref: "heads/missing" }))).status).toBe(404);
    expect(h.take()).toEqual(["push", "create", "push", "create", "push", "create"]);
  });

  it("updates a ref only by fast-forward unless forced; each move is a push, and a synchronize for the PR on it", async () => {
    const first = await branchWith(h, "feature", [{ path: "f.txt", mode: "100644", type: "blob", content: "1\n" }]);
    const pr = await openPull(h, "feature");
    const main = h.double.refs.get("heads/main") ?? "";
    const tree = h.double.git.commit(first).tree;
    const { data: next } = await h.octokit.rest.git.createCommit({ ...repo, message: "Next", tree, parents: [first] });
    const { data: sideways } = await h.octokit.rest.git.createCommit({ ...repo, message: "Sideways", tree, parents: [main] });
    h.take();

    expect(await failure(h.octokit.rest.git.updateRef({ ...repo, ref: "heads/feature", sha: sideways.sha }))).toMatchObject({ status: 422, message: "Update is not a fast forward" });
    expect(h.take()).toEqual([]);
    const { data: moved } = await h.octokit.rest.git.updateRef({ ...repo, ref: "heads/feature", sha: next.sha, force: false });
    expect(moved).toMatchObject({ ref: "refs/heads/feature", object: { sha: next.sha } });
    expect(h.take()).toEqual(["push", "pull_request.synchronize"]);
    expect(h.last("push")).toMatchObject({ before: first, after: next.sha, forced: false, commits: [{ id: next.sha, message: "Next" }] });
    expect(h.last("pull_request.synchronize")).toMatchObject({ number: pr, before: first, after: next.sha, pull_request: { head: { sha: next.sha } } });

    await h.octokit.rest.git.updateRef({ ...repo, ref: "heads/feature", sha: sideways.sha, force: true });
    expect(h.take()).toEqual(["push", "pull_request.synchronize"]);
    expect(h.last("push")).toMatchObject({ before: next.sha, after: sideways.sha, forced: true });
    expect(await failure(h.octokit.rest.git.updateRef({ ...repo, ref: "heads/missing", sha: main }))).toMatchObject({ status: 422, message: "Reference does not exist" });
    expect(await failure(h.octokit.rest.git.updateRef({ ...repo, ref: "heads/feature", sha: "f".repeat(40), force: true }))).toMatchObject({ status: 422, message: "Object does not exist" });
  });

  it("deletes a ref: push (deleted), delete, and the open PR from it is closed; a second delete is a 422", async () => {
    await branchWith(h, "feature", [{ path: "f.txt", mode: "100644", type: "blob", content: "1\n" }]);
    const pr = await openPull(h, "feature");
    h.take();
    const response = await h.octokit.rest.git.deleteRef({ ...repo, ref: "heads/feature" });
    expect(response.status).toBe(204);
    expect(h.double.refs.has("heads/feature")).toBe(false);
    expect(h.take()).toEqual(["push", "delete", "pull_request.closed"]);
    expect(h.last("push")).toMatchObject({ ref: "refs/heads/feature", deleted: true, after: "0".repeat(40), head_commit: null });
    expect(h.last("pull_request.closed")).toMatchObject({ number: pr, pull_request: { merged: false } });
    expect(await failure(h.octokit.rest.git.deleteRef({ ...repo, ref: "heads/feature" }))).toMatchObject({ status: 422, message: "Reference does not exist" });
  });

  it("writes blobs (utf-8 and base64) and trees on a base (content, sha, and sha: null to delete); reads commits and trees back", async () => {
    const { data: text } = await h.octokit.rest.git.createBlob({ ...repo, content: "héllo\n" });
    const { data: binary } = await h.octokit.rest.git.createBlob({ ...repo, content: Buffer.from([0, 1, 2, 255]).toString("base64"), encoding: "base64" });
    expect(text.sha).toBe(h.double.git.run(["hash-object", "--stdin"], "héllo\n"));
    expect(Buffer.from((await h.octokit.rest.git.getBlob({ ...repo, file_sha: binary.sha })).data.content, "base64")).toEqual(Buffer.from([0, 1, 2, 255]));

    const main = h.double.refs.get("heads/main") ?? "";
    const { data: base } = await h.octokit.rest.git.getCommit({ ...repo, commit_sha: main });
    expect(base).toMatchObject({ sha: main, message: "Initial commit", parents: [], author: { name: "Sandbox" }, verification: { verified: false } });
    const { data: tree } = await h.octokit.rest.git.createTree({
      ...repo,
      base_tree: base.tree.sha,
      tree: [
        { path: "docs/hello.txt", mode: "100644", type: "blob", sha: text.sha },
        { path: "bin/data", mode: "100644", type: "blob", sha: binary.sha },
        { path: "src/new.js", mode: "100644", type: "blob", content: "new\n" },
        { path: "docs/remove-me.md", mode: "100644", type: "blob", sha: null },
      ],
    });
    expect(tree.tree.map((e) => [e.path, e.type])).toEqual([
      ["README.md", "blob"],
      ["bin", "tree"],
      ["docs", "tree"],
      ["src", "tree"],
    ]);
    const { data: deep } = await h.octokit.rest.git.getTree({ ...repo, tree_sha: tree.sha, recursive: "1" });
    expect(deep.tree.filter((e) => e.type === "blob").map((e) => e.path)).toEqual(["README.md", "bin/data", "docs/hello.txt", "src/a.js", "src/new.js", "src/old-name.js"]);
    const { data: commit } = await h.octokit.rest.git.createCommit({ ...repo, message: "Tree via the API", tree: tree.sha, parents: [main] });
    expect((await h.octokit.rest.git.getCommit({ ...repo, commit_sha: commit.sha })).data).toMatchObject({ message: "Tree via the API", tree: { sha: tree.sha }, parents: [{ sha: main }] });
    expect(await failure(h.octokit.rest.git.createTree({ ...repo, base_tree: "0".repeat(40), tree: [] }))).toMatchObject({ status: 422 });
    expect((await failure(h.octokit.rest.git.getCommit({ ...repo, commit_sha: "0".repeat(40) }))).status).toBe(404);
  });

  it("compares two refs: ahead, behind, diverged and identical, with the commits and files", async () => {
    h.double.push("feature", { "f.txt": "f\n" }, "On feature");
    const ahead = await h.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: "main...feature" });
    expect(ahead.data).toMatchObject({ status: "ahead", ahead_by: 1, behind_by: 0, total_commits: 1, files: [{ filename: "f.txt", status: "added" }] });
    expect(ahead.data.commits.map((c) => c.commit.message)).toEqual(["On feature"]);
    expect((await h.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: "feature...main" })).data).toMatchObject({ status: "behind", ahead_by: 0, behind_by: 1 });
    h.double.push("main", { "m.txt": "m\n" }, "On main");
    expect((await h.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: "main...feature" })).data).toMatchObject({ status: "diverged", ahead_by: 1, behind_by: 1 });
    expect((await h.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: "main...main" })).data).toMatchObject({ status: "identical", total_commits: 0, files: [] });
    expect((await failure(h.octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: "main...nope" }))).status).toBe(404);
  });
});

describe("counting the app's writes", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("counts POST, PATCH, PUT, DELETE and GraphQL mutations, not reads, GraphQL queries or the token exchange", async () => {
    expect(h.double.writes).toBe(0);
    const main = h.double.refs.get("heads/main") ?? "";
    await h.octokit.rest.git.getRef({ ...repo, ref: "heads/main" });
    const { data: blob } = await h.octokit.rest.git.createBlob({ ...repo, content: "x\n" });
    const { data: tree } = await h.octokit.rest.git.createTree({ ...repo, base_tree: h.double.git.commit(main).tree, tree: [{ path: "x.txt", mode: "100644", type: "blob", sha: blob.sha }] });
    const { data: commit } = await h.octokit.rest.git.createCommit({ ...repo, message: "x", tree: tree.sha, parents: [main] });
    await h.octokit.rest.git.createRef({ ...repo, ref: "refs/heads/x", sha: main });
    await h.octokit.rest.git.updateRef({ ...repo, ref: "heads/x", sha: commit.sha });
    const pr = await openPull(h, "x", { draft: true });
    await h.octokit.graphql("query { viewer { login } }").catch(() => undefined);
    await h.octokit.graphql("mutation($id: ID!) { markPullRequestReadyForReview(input: { pullRequestId: $id }) { pullRequest { isDraft } } }", { id: h.double.issues.get(pr)?.node_id });
    await h.octokit.rest.pulls.merge({ ...repo, pull_number: pr });
    await h.octokit.rest.git.deleteRef({ ...repo, ref: "heads/x" });
    await failure(h.octokit.rest.git.deleteRef({ ...repo, ref: "heads/x" }));
    // blob, tree, commit, ref, update, pull, mutation, merge, delete, the refused delete.
    expect(h.double.writes).toBe(10);
    expect(h.double.counts.get("PATCH /repos/{owner}/{repo}/git/refs/{ref}")).toBe(1);
    expect(h.double.counts.get("DELETE /repos/{owner}/{repo}/git/refs/{ref}")).toBe(2);
    expect(h.double.counts.get("PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge")).toBe(1);
  });
});

describe("git push over smart HTTP", () => {
  let h: DoubleHarness;
  useDouble((next) => void (h = next), FILES);

  it("a push to a PR's head branch is announced as push, then synchronize; a force-push says forced", async () => {
    h.double.push("feature", { "f.txt": "1\n" }, "One", "alice");
    const pr = await openPull(h, "feature");
    const before = h.double.refs.get("heads/feature");
    const work = mkdtempSync(join(tmpdir(), "double-push-"));
    try {
      const git = (...args: string[]) => run("git", ["-c", "user.name=Builder", "-c", "user.email=builder@example.invalid", ...args], { cwd: work, env: { ...process.env, GIT_TERMINAL_PROMPT: "0" } });
      await git("clone", "--quiet", "--branch", "feature", h.server.cloneUrl(h.token), ".");
      writeFileSync(join(work, "f.txt"), "2\n");
      await git("commit", "--quiet", "-am", "Two");
      h.take();
      await git("push", "--quiet", "origin", "feature");
      const after = h.double.refs.get("heads/feature");
      expect(after).not.toBe(before);
      expect(h.take()).toEqual(["push", "pull_request.synchronize"]);
      expect(h.last("push")).toMatchObject({ ref: "refs/heads/feature", before, after, forced: false, sender: { login: "software-factory[bot]" }, commits: [{ message: "Two", modified: ["f.txt"] }] });
      expect(h.last("pull_request.synchronize")).toMatchObject({ number: pr, before, after, pull_request: { head: { sha: after } } });
      expect((await h.octokit.rest.pulls.get({ ...repo, pull_number: pr })).data.head.sha).toBe(after);

      await git("commit", "--quiet", "--amend", "-m", "Two, amended");
      await git("push", "--quiet", "--force", "origin", "feature");
      expect(h.take()).toEqual(["push", "pull_request.synchronize"]);
      expect(h.last("push")).toMatchObject({ before: after, forced: true });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
