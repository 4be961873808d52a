import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { checkOutput, loadContracts } from "../../src/cells/contracts.js";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { bundleOf } from "./cell-workflow.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const WORKFLOW = readFileSync(new URL("../../templates/workflows/factory-cell.yml", import.meta.url), "utf8");
const contract = loadContracts().get("builder");

const FILES = {
  ...SAMPLE_FILES,
  ".github/workflows/factory-cell.yml": WORKFLOW,
  ".github/factory.yml": `${JSON.stringify({ cells: { build: { runner: "actions", harness: "claude-code", model: "claude-sonnet-4-5", timeoutMinutes: 20 } } })}\n`,
};

function recordOf(body: string | undefined) {
  const block = decodeBlocks(body)[0];
  return block?.ok ? (block.value as { kind: string; data: Record<string, unknown> }) : undefined;
}

/** What the template's script uploads: the report of the harness run. */
function report(job: string, head: string, overrides: Record<string, unknown> = {}) {
  return JSON.stringify({
    job,
    exitCode: 0,
    timedOut: false,
    durationMs: 61_000,
    headSha: head,
    commits: [{ sha: head, subject: "Return the dark theme when asked" }],
    files: ["src/theme.js"],
    insertions: 1,
    deletions: 1,
    lastLines: ["done"],
    costUsd: 0.42,
    ...overrides,
  });
}

describe("the actions runner on the sandbox", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: FILES });

  it("dispatches factory-cell.yml on the default branch with the job's inputs, and collects the run's report when it completes", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const branch = sb.double.pulls()[0]?.pull?.head ?? "";

    // The dispatch passed the OpenAPI contract (the sandbox fails the test on a violation) and carries the job.
    const [run] = sb.double.workflowRuns();
    expect(run).toMatchObject({ path: ".github/workflows/factory-cell.yml", head_branch: "main", status: "queued" });
    const job = run?.inputs.job ?? "";
    expect(job).toMatch(/^build-\d+-[0-9a-f]{16}$/);
    expect(run?.display_title).toBe(`factory builder ${job}`);
    expect(run?.inputs).toMatchObject({ cell: "builder", branch, harness: "claude-code", timeout_minutes: "20" });
    expect(JSON.parse(run?.inputs.argv ?? "[]")).toEqual(["claude", "-p", "{prompt}", "--output-format", "json", "--dangerously-skip-permissions", "--model", "claude-sonnet-4-5"]);
    expect(run?.inputs.prompt).toContain("Users can switch to a dark theme.");
    expect(sb.double.commentsOn(pr).find((c) => c.body.startsWith("### Build started"))?.body).toContain("GitHub Actions runs it in this repository");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", running: { runner: "actions", job } });

    // GitHub Actions runs the harness and uploads its commits and report; the app pushes the commits.
    const before = sb.double.git.refSha(`heads/${branch}`);
    const { bundle, head } = await bundleOf(sb, branch, { "src/theme.js": "export function theme(settings) {\n  return settings.dark ? 'dark' : 'light';\n}\n" }, "Return the dark theme when asked");
    expect(sb.double.git.refSha(`heads/${branch}`)).toBe(before);
    sb.double.completeWorkflowRun(run?.id ?? 0, { conclusion: "success", artifacts: { "factory-cell-output": { "output.json": report(job, head), "commits.bundle": bundle } } });
    await sb.idle();
    expect(sb.double.git.refSha(`heads/${branch}`)).toBe(head);

    const summary = sb.double.commentsOn(pr).find((c) => c.body.startsWith("### Build summary"))?.body ?? "";
    expect(summary).toContain("`claude-code` (`claude-sonnet-4-5`) on the actions runner");
    expect(summary).toContain("| Cost | $0.42 |");
    const record = recordOf(summary);
    expect(contract && checkOutput(contract, record?.data.output)).toEqual({ ok: true });
    expect(record?.data).toMatchObject({ stage: "build", job, output: { runner: "actions", durationMs: 61_000, files: ["src/theme.js"] } });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ attempts: { build: 1 }, costUsd: { build: 0.42 }, running: undefined });
    expect(sb.double.counts.get("GET /repos/{owner}/{repo}/actions/runs/{run_id}/artifacts")).toBe(1);
    expect(sb.double.counts.get("GET /repos/{owner}/{repo}/actions/artifacts/{artifact_id}/{archive_format}")).toBe(1);
  });

  it("a run whose harness failed ends the build with its last lines; a run for no job, or a redelivered one, changes nothing", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const branch = sb.double.pulls()[0]?.pull?.head ?? "";
    const [run] = sb.double.workflowRuns();
    const job = run?.inputs.job ?? "";
    sb.double.completeWorkflowRun(run?.id ?? 0, {
      conclusion: "failure",
      artifacts: { "factory-cell-output": { "output.json": report(job, sb.double.git.refSha(`heads/${branch}`) ?? "", { exitCode: 1, commits: [], lastLines: ["Error: ANTHROPIC_API_KEY is not set"] }) } },
    });
    await sb.idle();
    const failed = sb.double.commentsOn(pr).filter((c) => c.body.startsWith("### build failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body).toContain("The harness exited with code 1");
    expect(failed[0]?.body).toContain("ANTHROPIC_API_KEY is not set");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
    const comments = sb.double.commentsOn(pr).length;
    sb.double.completeWorkflowRun(run?.id ?? 0, { conclusion: "failure" });
    await sb.idle();
    expect(sb.double.commentsOn(pr).length).toBe(comments);
  });

  it("/factory stop cancels the workflow run, and its completion changes nothing more", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const [run] = sb.double.workflowRuns();
    sb.comment(pr, "maintainer", "/factory stop");
    await sb.idle();
    expect(sb.double.workflowRuns()[0]).toMatchObject({ id: run?.id, status: "completed", conclusion: "cancelled" });
    const failed = sb.double.commentsOn(pr).filter((c) => c.body.startsWith("### build failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body).toContain("was cancelled; nothing it did counts");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "stopped", running: undefined });
  });
});
