import { ProbotOctokit } from "probot";
import { describe, expect, it } from "vitest";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { SAMPLE_FILES, useSandbox } from "./use-sandbox.js";

/**
 * The Sandbox's actor API with the real app attached: people review, CI reports,
 * a maintainer merges. Every webhook reaches the app signed and is answered; the
 * sandbox's checks (contract, unrouted, app errors) run after the test.
 */

const repo = { owner: "octo-org", repo: "widgets" };

async function appOctokit(sb: Sandbox) {
  const response = await fetch(`${sb.server.apiUrl}/app/installations/1/access_tokens`, { method: "POST", headers: { authorization: "Bearer a.jwt.token" } });
  const { token } = (await response.json()) as { token: string };
  return new ProbotOctokit({ auth: { token }, baseUrl: sb.server.apiUrl, retry: { enabled: false }, throttle: { enabled: false } });
}

describe("the sandbox's actors", () => {
  let sb: Sandbox;
  // CI is driven by hand here (completeCheck), so the repository has none of its own.
  useSandbox((next) => void (sb = next), { ci: false, files: { ...SAMPLE_FILES, ".github/workflows/ci.yml": "name: ci\non:\n  workflow_dispatch:\njobs: {}\n" } });

  it("a review, CI's check and status, a merge and a finished run reach the app as the webhooks it subscribes to", async () => {
    const octokit = await appOctokit(sb);
    const head = sb.push("docs/typo", { "README.md": "# widgets, fixed\n" }, "Fix the typo", "alice");
    const { data: pull } = await octokit.rest.pulls.create({ ...repo, head: "docs/typo", base: "main", title: "Fix the typo", body: "A person's change" });
    await octokit.rest.actions.createWorkflowDispatch({ ...repo, workflow_id: "ci.yml", ref: "main" });
    const writes = sb.writes;

    sb.review(pull.number, "reviewer", { state: "APPROVE", body: "Thanks" });
    sb.completeCheck(head, "ci/test", { conclusion: "success", title: "all pass" });
    sb.setStatus(head, "ci/lint", "success", "clean");
    const [dispatch] = sb.dispatches;
    sb.completeWorkflowRun(dispatch?.runId ?? 0, { conclusion: "success", jobs: [{ name: "ci", conclusion: "success", log: "ok\n" }] });
    const merged = sb.merge(pull.number, "maintainer");
    await sb.idle();

    expect(dispatch).toMatchObject({ workflow: ".github/workflows/ci.yml", ref: "main", inputs: {} });
    expect(sb.double.refs.get("heads/main")).toBe(merged);
    expect(sb.double.pulls()[0]?.pull?.merged).toMatchObject({ sha: merged, by: { login: "maintainer" } });
    // People's and CI's actions are not the app's writes.
    expect(sb.writes).toBe(writes);
    const delivered = sb.sender.deliveries.map((d) => `${d.name}${d.action ? `.${d.action}` : ""}`);
    expect(delivered).toEqual([
      "pull_request.opened",
      "workflow_run.requested",
      "pull_request_review.submitted",
      "check_run.created",
      "check_run.completed",
      "check_suite.completed",
      "status",
      "workflow_run.completed",
      "pull_request.closed",
    ]);
    expect(sb.sender.deliveries.every((d) => d.status !== undefined && d.status >= 200 && d.status < 300)).toBe(true);
    expect(sb.server.responseViolations).toEqual([]);
    expect(sb.webhookViolations).toEqual([]);
  });
});
