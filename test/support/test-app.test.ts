import nock from "nock";
import type { Probot } from "probot";
import { describe, expect, it } from "vitest";
import { issueCommentCreated, issuesEdited, issuesLabeled } from "./payloads.js";
import { createTestApp, expectNoPendingMocks, nockInstallationToken } from "./test-app.js";

const API = "https://api.github.com";
const owner = "acme";
const repo = "widgets";
const alice = { login: "alice", id: 101, type: "User" as const };

function labeledEvent() {
  return issuesLabeled({
    owner,
    repo,
    issue: { number: 7, title: "Add a widget", body: "Please", user: alice },
    label: "factory",
    sender: alice,
    deliveryId: "delivery-1",
  });
}

describe("createTestApp", () => {
  it("records requests made through context.octokit and flags contract violations", async () => {
    const app = (probot: Probot): void => {
      probot.on("issues.labeled", async (context) => {
        // Valid.
        await context.octokit.rest.issues.createComment(context.issue({ body: "On it" }));
        // Invalid: misspelt body parameter -> sent as { text }, no required `body`.
        await context.octokit.request("POST /repos/{owner}/{repo}/issues/{issue_number}/comments", {
          ...context.issue(),
          text: "oops",
        });
        // Invalid: no such route.
        await context.octokit.request("GET /repos/{owner}/{repo}/widgets", context.repo());
      });
    };
    const t = await createTestApp(app);

    const token = nockInstallationToken();
    const api = nock(API)
      .post(`/repos/${owner}/${repo}/issues/7/comments`, { body: "On it" })
      .reply(201, { id: 1 })
      .post(`/repos/${owner}/${repo}/issues/7/comments`, { text: "oops" })
      .reply(201, { id: 2 })
      .get(`/repos/${owner}/${repo}/widgets`)
      .reply(200, []);

    await t.receive(labeledEvent());

    expect(token.isDone()).toBe(true);
    expect(api.isDone()).toBe(true);
    expectNoPendingMocks();

    expect(t.requests).toEqual([
      {
        method: "POST",
        route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        url: `${API}/repos/${owner}/${repo}/issues/7/comments`,
        body: { body: "On it" },
      },
      // The installation token exchange goes through the app-level Octokit's
      // hooks, so it is recorded (and checked) too, right after the first
      // installation request that needed it.
      {
        method: "POST",
        route: "/app/installations/{installation_id}/access_tokens",
        url: `${API}/app/installations/1/access_tokens`,
      },
      {
        method: "POST",
        route: "/repos/{owner}/{repo}/issues/{issue_number}/comments",
        url: `${API}/repos/${owner}/${repo}/issues/7/comments`,
        body: { text: "oops" },
      },
      { method: "GET", route: "/repos/{owner}/{repo}/widgets", url: `${API}/repos/${owner}/${repo}/widgets` },
    ]);
    expect(t.routeCounts()).toEqual({
      "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": 2,
      "POST /app/installations/{installation_id}/access_tokens": 1,
      "GET /repos/{owner}/{repo}/widgets": 1,
    });
    expect(t.violations).toHaveLength(2);
    expect(t.violations[0]).toMatch(/issues\/create-comment request body must have required property 'body'/);
    expect(t.violations[1]).toMatch(/GET \/repos\/\{owner\}\/\{repo\}\/widgets: unknown route/);
  });

  it("has no violations for valid requests, including app-level (JWT) ones", async () => {
    const t = await createTestApp((probot) => {
      probot.on("issue_comment.created", async (context) => {
        await context.octokit.rest.reactions.createForIssueComment(
          context.repo({ comment_id: context.payload.comment.id, content: "eyes" as const }),
        );
        await context.octokit.rest.repos.getCollaboratorPermissionLevel(
          context.repo({ username: context.payload.comment.user?.login ?? "" }),
        );
      });
    });
    const appOctokit = await t.probot.auth();

    const token = nockInstallationToken();
    const api = nock(API)
      .get("/app")
      .reply(200, { id: 1, slug: "software-factory" })
      .post(`/repos/${owner}/${repo}/issues/comments/555/reactions`, { content: "eyes" })
      .reply(201, { id: 1, content: "eyes" })
      .get(`/repos/${owner}/${repo}/collaborators/alice/permission`)
      .reply(200, { permission: "write" });

    await appOctokit.rest.apps.getAuthenticated();
    await t.receive(
      issueCommentCreated({
        owner,
        repo,
        issue: { number: 7, title: "Add a widget", user: alice, pull_request: true },
        comment: { id: 555, body: "/factory go", user: alice },
        sender: alice,
      }),
    );

    expect(token.isDone()).toBe(true);
    expect(api.isDone()).toBe(true);
    expect(t.violations).toEqual([]);
    expect(Object.keys(t.routeCounts())).toEqual([
      "GET /app",
      "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
      "POST /app/installations/{installation_id}/access_tokens",
      "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
    ]);
  });
});

describe("payload builders", () => {
  it("keep the example's full shape and override the scenario's fields", async () => {
    const seen: unknown[] = [];
    const t = await createTestApp((probot) => {
      probot.on(["issues.labeled", "issues.edited", "issue_comment.created"], (context) => {
        seen.push(context.payload);
      });
    });

    const labeled = labeledEvent();
    const edited = issuesEdited({
      owner,
      repo,
      issue: { number: 7, title: "Add a widget", body: "Now longer", user: alice, labels: ["factory", "bug"] },
      changes: { body: { from: "Please" } },
      sender: alice,
    });
    const botComment = issueCommentCreated({
      owner,
      repo,
      issue: { number: 8, title: "Fix", user: alice },
      comment: { id: 9, body: "status", user: { login: "software-factory[bot]", id: 77, type: "Bot" } },
      sender: { login: "software-factory[bot]", id: 77, type: "Bot" },
    });
    await t.receive(labeled);
    await t.receive(edited);
    await t.receive(botComment);
    expect(seen).toHaveLength(3);

    expect(labeled.id).toBe("delivery-1");
    expect(edited.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(labeled.payload).toMatchObject({
      action: "labeled",
      installation: { id: 1 },
      label: { name: "factory", url: `${API}/repos/${owner}/${repo}/labels/factory` },
      repository: { name: repo, full_name: `${owner}/${repo}`, owner: { login: owner } },
      issue: {
        number: 7,
        title: "Add a widget",
        body: "Please",
        url: `${API}/repos/${owner}/${repo}/issues/7`,
        user: { login: "alice", id: 101, type: "User", url: `${API}/users/alice` },
        labels: [{ name: "factory" }],
      },
      sender: { login: "alice" },
    });
    // Full example shape kept (fields we never touch are still there).
    expect(labeled.payload.issue).toHaveProperty("reactions");
    expect(labeled.payload.repository).toHaveProperty("stargazers_count");
    expect(JSON.stringify(labeled.payload)).not.toContain("Codertocat/Hello-World");

    expect(edited.payload.changes).toEqual({ body: { from: "Please" } });
    expect(edited.payload.issue.labels?.map((l) => l.name)).toEqual(["factory", "bug"]);

    expect(botComment.payload.issue.pull_request).toBeUndefined();
    expect(botComment.payload.comment).toMatchObject({
      id: 9,
      body: "status",
      user: { login: "software-factory[bot]", type: "Bot", url: `${API}/users/software-factory%5Bbot%5D` },
      html_url: `https://github.com/${owner}/${repo}/issues/8#issuecomment-9`,
    });
    expect(t.requests).toEqual([]);
  });
});
