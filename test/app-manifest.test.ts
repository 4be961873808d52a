import { readFileSync, readdirSync } from "node:fs";
import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { HANDLED_EVENTS } from "../src/index.js";
import { createScenario, VALID_BODY } from "./support/scenario.js";
import { routeKey } from "./support/test-app.js";

type Level = "read" | "write";
type Need = { permission: string; level: Level } | "app-jwt";

/**
 * What each route the app calls needs, from GitHub's "Permissions required for
 * GitHub Apps". A new route fails this test until it is added here and app.yml grants it.
 */
const ROUTE_PERMISSIONS: Record<string, Need> = {
  "GET /app": "app-jwt",
  "POST /app/installations/{installation_id}/access_tokens": "app-jwt",
  "GET /repos/{owner}/{repo}/contents/{path}": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/branches/{branch}": { permission: "contents", level: "read" },
  "POST /repos/{owner}/{repo}/git/commits": { permission: "contents", level: "write" },
  "GET /repos/{owner}/{repo}/git/commits/{commit_sha}": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/compare/{basehead}": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/issues/{issue_number}": { permission: "issues", level: "read" },
  "POST /repos/{owner}/{repo}/merges": { permission: "contents", level: "write" },
  "PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge": { permission: "contents", level: "write" },
  "GET /repos/{owner}/{repo}/releases": { permission: "contents", level: "read" },
  "POST /repos/{owner}/{repo}/releases": { permission: "contents", level: "write" },
  "PATCH /repos/{owner}/{repo}/releases/{release_id}": { permission: "contents", level: "write" },
  "GET /repos/{owner}/{repo}/git/trees/{tree_sha}": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/git/blobs/{file_sha}": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/commits": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/commits/{ref}": { permission: "contents", level: "read" },
  "POST /repos/{owner}/{repo}/git/refs": { permission: "contents", level: "write" },
  "GET /repos/{owner}/{repo}/git/matching-refs/{ref}": { permission: "contents", level: "read" },
  "GET /repos/{owner}/{repo}/issues": { permission: "issues", level: "read" },
  "POST /repos/{owner}/{repo}/issues": { permission: "issues", level: "write" },
  "PATCH /repos/{owner}/{repo}/issues/{issue_number}": { permission: "issues", level: "write" },
  "GET /repos/{owner}/{repo}/issues/{issue_number}/comments": { permission: "issues", level: "read" },
  "POST /repos/{owner}/{repo}/issues/{issue_number}/comments": { permission: "issues", level: "write" },
  "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}": { permission: "issues", level: "write" },
  "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}": { permission: "issues", level: "write" },
  "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions": { permission: "issues", level: "write" },
  "POST /repos/{owner}/{repo}/labels": { permission: "issues", level: "write" },
  "GET /repos/{owner}/{repo}/issues/{issue_number}/labels": { permission: "issues", level: "read" },
  "POST /repos/{owner}/{repo}/issues/{issue_number}/labels": { permission: "issues", level: "write" },
  "DELETE /repos/{owner}/{repo}/issues/{issue_number}/labels/{name}": { permission: "issues", level: "write" },
  "POST /repos/{owner}/{repo}/pulls": { permission: "pull_requests", level: "write" },
  "GET /repos/{owner}/{repo}/pulls": { permission: "pull_requests", level: "read" },
  "GET /repos/{owner}/{repo}/pulls/{pull_number}": { permission: "pull_requests", level: "read" },
  "PATCH /repos/{owner}/{repo}/pulls/{pull_number}": { permission: "pull_requests", level: "write" },
  "GET /repos/{owner}/{repo}/rules/branches/{branch}": { permission: "metadata", level: "read" },
  "GET /repos/{owner}/{repo}/collaborators/{username}/permission": { permission: "metadata", level: "read" },
  "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches": { permission: "actions", level: "write" },
  "GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts": { permission: "actions", level: "read" },
  "GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}": { permission: "actions", level: "read" },
  "GET /repos/{owner}/{repo}/commits/{ref}/check-runs": { permission: "checks", level: "read" },
  "GET /repos/{owner}/{repo}/check-runs/{check_run_id}/annotations": { permission: "checks", level: "read" },
  "POST /repos/{owner}/{repo}/check-runs": { permission: "checks", level: "write" },
  "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}": { permission: "checks", level: "write" },
  "GET /repos/{owner}/{repo}/commits/{ref}/status": { permission: "statuses", level: "read" },
  "GET /repos/{owner}/{repo}/actions/jobs/{job_id}/logs": { permission: "actions", level: "read" },
  "GET /repos/{owner}/{repo}/actions/runs": { permission: "actions", level: "read" },
  "GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs": { permission: "actions", level: "read" },
  "POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel": { permission: "actions", level: "write" },
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/files": { permission: "pull_requests", level: "read" },
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/commits": { permission: "pull_requests", level: "read" },
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews": { permission: "pull_requests", level: "read" },
  "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}/comments": { permission: "pull_requests", level: "read" },
  "POST /repos/{owner}/{repo}/git/trees": { permission: "contents", level: "write" },
  "PATCH /repos/{owner}/{repo}/git/refs/{ref}": { permission: "contents", level: "write" },
  "DELETE /repos/{owner}/{repo}/git/refs/{ref}": { permission: "contents", level: "write" },
  // The default branch, for `factory learn scout --pr` (metadata: every app and token has it).
  "GET /repos/{owner}/{repo}": { permission: "metadata", level: "read" },
  // pinIssue and markPullRequestReadyForReview: the only GraphQL the app sends.
  "POST /graphql": { permission: "issues", level: "write" },
};

const manifest = parse(readFileSync(new URL("../app.yml", import.meta.url), "utf8")) as {
  default_events: string[];
  default_permissions: Record<string, string>;
};

function granted(need: Need): boolean {
  if (need === "app-jwt") return true;
  const level = manifest.default_permissions[need.permission];
  return level === "write" || (level === "read" && need.level === "read");
}

/** Every `octokit.rest.<ns>.<method>` the source calls, resolved to its route by Octokit itself. */
function staticRoutes(): string[] {
  const octokit = new ProbotOctokit();
  const rest = octokit.rest as unknown as Record<string, Record<string, { endpoint: { DEFAULTS: { method: string; url: string } } }>>;
  const routes = new Set<string>();
  const files = readdirSync(new URL("../src/", import.meta.url), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
  for (const file of files) {
    const text = readFileSync(new URL(`../src/${file}`, import.meta.url), "utf8");
    for (const [, ns, method] of text.matchAll(/octokit\.rest\.(\w+)\.(\w+)/g)) {
      const defaults = rest[ns ?? ""]?.[method ?? ""]?.endpoint.DEFAULTS;
      if (!defaults) throw new Error(`src/${file}: octokit.rest.${ns}.${method} does not exist`);
      routes.add(`${defaults.method} ${defaults.url}`);
    }
  }
  return [...routes].sort();
}

describe("app.yml", () => {
  it("subscribes to every event the app handles", () => {
    const events = new Set(HANDLED_EVENTS.map((name) => name.split(".")[0]));
    for (const event of events) expect(manifest.default_events).toContain(event);
  });

  it("grants the permission of every route the source calls", () => {
    const routes = staticRoutes();
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const need = ROUTE_PERMISSIONS[route];
      expect(need, `${route} is missing from ROUTE_PERMISSIONS`).toBeDefined();
      expect(granted(need as Need), `${route} needs ${JSON.stringify(need)}`).toBe(true);
    }
  });

  it("grants the permission of every route a full scenario really requests", async () => {
    const s = await createScenario();
    const issue = s.double.openIssue("alice", "Add dark mode", VALID_BODY).number;
    await s.deliver(s.label(issue));
    await s.idle();
    const pr = s.double.pulls()[0]?.number ?? 0;
    for (const [thread, text] of [
      [issue, "/factory stop"],
      [pr, "/factory retry"],
      [issue, "/factory status"],
    ] as const) {
      await s.deliver(s.comment(thread, "maintainer", text).event);
    }
    await s.idle();
    const seen = new Set(s.app.requests.map(routeKey));
    for (const route of seen) {
      const need = ROUTE_PERMISSIONS[route];
      expect(need, `${route} is missing from ROUTE_PERMISSIONS`).toBeDefined();
      expect(granted(need as Need)).toBe(true);
    }
    expect(s.app.violations).toEqual([]);
  });

  it("asks for nothing the app does not use", () => {
    const used = new Set(Object.values(ROUTE_PERMISSIONS).flatMap((n) => (n === "app-jwt" ? [] : [n.permission])));
    expect(Object.keys(manifest.default_permissions).sort()).toEqual([...used].sort());
    for (const [permission, level] of Object.entries(manifest.default_permissions)) {
      const needsWrite = Object.values(ROUTE_PERMISSIONS).some((n) => n !== "app-jwt" && n.permission === permission && n.level === "write");
      expect(level, permission).toBe(needsWrite ? "write" : "read");
    }
  });
});
