import { describe, expect, it } from "vitest";
import { checkRequest, findOperation } from "../src/index.js";

const SHA = "7638417db6d59f3c431d3e1f261cc637155684cd";

describe("checkRequest: problems", () => {
  it("reports an unknown route", () => {
    const problems = checkRequest({ method: "GET", route: "/repos/{owner}/{repo}/no-such-thing" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/unknown route/);
  });

  it("reports a wrong method", () => {
    const problems = checkRequest({
      method: "PUT",
      route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
      body: { body: "hi" },
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/method PUT is not defined/);
    expect(problems[0]).toMatch(/GET, POST/);
  });

  it("reports a body of the wrong type", () => {
    const problems = checkRequest({
      method: "POST",
      route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
      body: { body: 42 },
    });
    expect(problems.join("\n")).toMatch(/body\/body must be string/);
  });

  it("reports a missing required property", () => {
    const problems = checkRequest({
      method: "POST",
      route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
      body: { text: "hi" },
    });
    expect(problems.join("\n")).toMatch(/must have required property 'body'/);
  });

  it("reports a required body that was not sent at all", () => {
    const problems = checkRequest({ method: "POST", route: "/repos/{owner}/{repo}/issues/{issue_number}/comments" });
    expect(problems.join("\n")).toMatch(/no body sent.*required property 'body'/);
  });

  it("reports an enum violation with the allowed values", () => {
    const problems = checkRequest({
      method: "POST",
      route: "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
      body: { content: "thumbsup" },
    });
    expect(problems.join("\n")).toMatch(/body\/content must be equal to one of the allowed values: .*"eyes"/);
  });

  it("reports a body sent to an operation that takes none (e.g. a misspelt parameter)", () => {
    const problems = checkRequest({
      method: "DELETE",
      route: "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}",
      body: { labelname: "x" },
    });
    expect(problems.join("\n")).toMatch(/takes no request body/);
  });

  it("reports operations not available to GitHub Apps", () => {
    // GET /user/emails is user-token only.
    expect(findOperation("GET", "/user/emails")?.enabledForGitHubApps).toBe(false);
    expect(checkRequest({ method: "GET", route: "/user/emails" }).join("\n")).toMatch(/not available to GitHub Apps/);
  });

  it("only accepts POST for /graphql", () => {
    expect(checkRequest({ method: "POST", route: "/graphql", body: { query: "{ viewer { login } }" } })).toEqual([]);
    expect(checkRequest({ method: "GET", route: "/graphql" })).toHaveLength(1);
  });
});

describe("checkRequest: valid requests", () => {
  const valid: Array<[string, string, unknown?]> = [
    ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments", { body: "hi" }],
    [
      "POST",
      "/repos/{owner}/{repo}/pulls",
      { title: "Add feature", head: "factory/issue-1", base: "main", body: "Closes #1", draft: true },
    ],
    ["POST", "/repos/{owner}/{repo}/git/commits", { message: "feat: x", tree: SHA, parents: [SHA] }],
    ["POST", "/repos/{owner}/{repo}/git/refs", { ref: "refs/heads/factory/issue-1", sha: SHA }],
    ["POST", "/repos/{owner}/{repo}/labels", { name: "factory:ready", color: "0e8a16", description: "Ready" }],
    ["POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels", { labels: ["x"] }],
    ["DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"],
    ["PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}", { body: "updated" }],
    ["POST", "/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions", { content: "eyes" }],
    ["GET", "/repos/{owner}/{repo}/collaborators/{username}/permission"],
    ["GET", "/repos/{owner}/{repo}/branches/{branch}"],
    ["POST", "/repos/{owner}/{repo}/issues", { title: "New", body: "text", labels: ["factory"] }],
    // nullable fields: `milestone` is nullable oneOf (no type), `assignee` nullable string
    ["POST", "/repos/{owner}/{repo}/issues", { title: "New", milestone: null, assignee: null }],
    ["PATCH", "/repos/{owner}/{repo}/issues/{issue_number}", { state: "closed", state_reason: null }],
    ["GET", "/app"],
    ["POST", "/app/installations/{installation_id}/access_tokens"],
    // app-JWT route the spec marks enabledForGitHubApps: false
    ["GET", "/app/hook/config"],
    // Octokit's template for compareCommitsWithBasehead differs from the spec's /compare/{base}...{head}
    ["GET", "/repos/{owner}/{repo}/compare/{basehead}"],
    // Parameter names need not match the spec's
    ["GET", "/repos/{o}/{r}/issues/{n}"],
  ];

  it.each(valid)("%s %s", (method, route, body) => {
    const req = body === undefined ? { method, route } : { method, route, body };
    expect(checkRequest(req)).toEqual([]);
  });

  it("accepts a JSON string body", () => {
    expect(
      checkRequest({
        method: "POST",
        route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        body: JSON.stringify({ body: "hi" }),
      }),
    ).toEqual([]);
  });

  it("matches literal paths and absolute URLs (e.g. pagination links)", () => {
    expect(checkRequest({ method: "GET", route: "https://api.github.com/repos/o/r/issues/comments?page=2" })).toEqual(
      [],
    );
    expect(findOperation("GET", "/repos/o/r/issues/comments")?.operationId).toBe("issues/list-comments-for-repo");
    expect(findOperation("GET", "/repos/o/r/issues/12")?.operationId).toBe("issues/get");
  });
});

describe("findOperation", () => {
  it("returns the operation id and app availability", () => {
    expect(findOperation("post", "/repos/{owner}/{repo}/issues/{issue_number}/comments")).toMatchObject({
      operationId: "issues/create-comment",
      enabledForGitHubApps: true,
      path: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
    });
    expect(findOperation("GET", "/app")).toMatchObject({ operationId: "apps/get-authenticated", enabledForGitHubApps: true });
  });

  it("returns undefined for unknown routes or methods", () => {
    expect(findOperation("GET", "/nope")).toBeUndefined();
    expect(findOperation("PUT", "/repos/{owner}/{repo}/issues/{issue_number}/comments")).toBeUndefined();
  });

  it("disambiguates spec paths that differ only in parameter names by method", () => {
    expect(findOperation("GET", "/orgs/{org}/attestations/{subject_digest}")?.path).toBe(
      "/orgs/{org}/attestations/{subject_digest}",
    );
    expect(findOperation("DELETE", "/orgs/{org}/attestations/{x}")).toBeDefined();
  });
});
