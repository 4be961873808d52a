import { afterAll, describe, expect, it } from "vitest";
import { patchLines } from "../src/index.js";
import { matchRoute, ok, paginate, route } from "../src/index.js";
import { GitRepo } from "../src/index.js";

describe("matchRoute", () => {
  const routes = [
    route("GET", "/issues/comments/{comment_id}", () => ok("comment")),
    route("GET", "/issues/{issue_number}", () => ok("issue")),
    route("GET", "/git/ref/{ref+}", () => ok("ref")),
    route("POST", "/actions/workflows/{workflow_id}/dispatches", () => ok("dispatch")),
    route("GET", "/commits/{ref}/check-runs", () => ok("runs")),
  ];
  const hit = (method: string, rest: string) => {
    const found = matchRoute(routes, method, rest);
    return found && { template: found.route.template, params: found.params };
  };

  it("matches segment by segment and decodes parameters", () => {
    expect(hit("GET", "/issues/12")).toEqual({ template: "/issues/{issue_number}", params: { issue_number: "12" } });
    expect(hit("GET", "/commits/feature%2Fx/check-runs")).toEqual({ template: "/commits/{ref}/check-runs", params: { ref: "feature/x" } });
  });

  it("lets ids and numbers match digits only, except a workflow id, which may be a file name", () => {
    expect(hit("GET", "/issues/comments/7")?.template).toBe("/issues/comments/{comment_id}");
    expect(hit("GET", "/issues/comments")).toBeUndefined();
    expect(hit("GET", "/issues/abc")).toBeUndefined();
    expect(hit("POST", "/actions/workflows/build.yml/dispatches")?.params).toEqual({ workflow_id: "build.yml" });
  });

  it("gives a `+` parameter the rest of the path, slashes and all, and names the template without the `+`", () => {
    expect(hit("GET", "/git/ref/heads/factory/1-dark-mode")).toEqual({ template: "/git/ref/{ref}", params: { ref: "heads/factory/1-dark-mode" } });
    expect(hit("GET", "/git/ref/heads%2Fmain")?.params).toEqual({ ref: "heads/main" });
  });

  it("needs the method, every segment and nothing more", () => {
    expect(hit("POST", "/issues/12")).toBeUndefined();
    expect(hit("GET", "/issues/12/extra")).toBeUndefined();
    expect(hit("GET", "/issues/")).toBeUndefined();
  });
});

describe("paginate", () => {
  const list = Array.from({ length: 5 }, (_, i) => i + 1);
  const page = (query: string) => paginate(list, new URLSearchParams(query), "/repos/o/r/things");

  it("answers one page with next and last, then prev and first past page one, as GitHub's link header does", () => {
    const first = page("per_page=2");
    expect(first.body).toEqual([1, 2]);
    expect(first.headers?.link).toBe('<https://api.github.com/repos/o/r/things?per_page=2&page=2>; rel="next", <https://api.github.com/repos/o/r/things?per_page=2&page=3>; rel="last"');
    const last = page("per_page=2&page=3&state=all");
    expect(last.body).toEqual([5]);
    expect(last.headers?.link).toBe('<https://api.github.com/repos/o/r/things?per_page=2&page=2&state=all>; rel="prev", <https://api.github.com/repos/o/r/things?per_page=2&page=1&state=all>; rel="first"');
  });

  it("sends no link for a single page, and caps per_page at 100", () => {
    expect(page("").headers).toEqual({});
    expect((paginate(Array.from({ length: 150 }, (_, i) => i), new URLSearchParams("per_page=500"), "/x").body as number[]).length).toBe(100);
  });
});

describe("patchLines", () => {
  it("numbers positions from the first @@ through later hunks, with old and new line numbers", () => {
    const lines = patchLines("@@ -1,2 +1,2 @@\n a\n-b\n+B\n@@ -9,1 +9,2 @@ ctx\n i\n+j\n\\ No newline at end of file");
    expect(lines.map((l) => [l.position, l.hunk, l.oldLine, l.newLine])).toEqual([
      [0, 0, undefined, undefined],
      [1, 0, 1, 1],
      [2, 0, 2, undefined],
      [3, 0, undefined, 2],
      [4, 1, undefined, undefined],
      [5, 1, 9, 9],
      [6, 1, undefined, 10],
    ]);
  });
});

describe("GitRepo for the double", () => {
  const git = GitRepo.create({ owner: "o", repo: "r", defaultBranch: "main", files: { "a.txt": "1\n2\n3\n", "img.bin": "x" } });
  afterAll(() => git.remove());
  const main = git.refSha("heads/main") ?? "";

  it("lists a binary change without a patch, and counts nothing for it", () => {
    git.createRef("heads/bin", main);
    const binary = git.writeBlob(Buffer.from([0, 159, 146, 150, 0]));
    const tree = git.buildTree(git.commit(main).tree, [{ path: "img.bin", mode: "100644", type: "blob", sha: binary }]);
    if (!("tree" in tree)) throw new Error(tree.problem);
    git.updateRef("heads/bin", git.commitTree(tree.tree, [main], "Binary"));
    expect(git.diffFiles(main, "refs/heads/bin")).toEqual([{ status: "modified", filename: "img.bin", sha: binary, additions: 0, deletions: 0 }]);
  });

  it("replays a commit onto another base three-way (a cherry-pick), or names the conflict", () => {
    const edit = git.commitTree(git.writeTree({ "a.txt": "1\n2\nthree\n", "img.bin": "x" }), [main], "Edit line 3");
    const moved = git.commitTree(git.writeTree({ "a.txt": "one\n2\n3\n", "img.bin": "x", "new.txt": "n\n" }), [main], "Elsewhere");
    const picked = git.mergeTree(moved, edit, main);
    if (!("tree" in picked)) throw new Error(picked.conflicts.join());
    expect(git.readAll(git.commitTree(picked.tree, [moved], "Picked"))).toEqual({ "a.txt": "one\n2\nthree\n", "img.bin": "x", "new.txt": "n\n" });
    const clash = git.commitTree(git.writeTree({ "a.txt": "1\n2\nTHREE\n", "img.bin": "x" }), [main], "Clash");
    expect(git.mergeTree(clash, edit, main)).toEqual({ conflicts: ["a.txt"] });
  });

  it("moves a ref only from the sha it expects", () => {
    git.createRef("heads/cas", main);
    const next = git.commitTree(git.commit(main).tree, [main], "Next");
    expect(git.updateRef("heads/cas", next, "f".repeat(40))).toBe(false);
    expect(git.updateRef("heads/cas", next, main)).toBe(true);
    expect(git.refSha("heads/cas")).toBe(next);
  });
});
