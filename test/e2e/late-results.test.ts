/**
 * A build's result arrives after a person acted: it is judged against the artifact
 * as it is when the result is handled, never against what the job started from.
 * The Actions runner makes the timing exact: the run completes (its report is
 * there, the cancel would come too late), but its webhook is delivered after the
 * person's command or push.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { checkRecord } from "../../src/state/carriers.js";
import { decodeBlocks } from "../../src/state/codec.js";
import type { SignedRecord } from "../../src/state/records.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const FILES = {
  ...SAMPLE_FILES,
  ".github/workflows/factory-cell.yml": readFileSync(new URL("../../templates/workflows/factory-cell.yml", import.meta.url), "utf8"),
  ".github/factory.yml": `${JSON.stringify({ cells: { build: { runner: "actions", harness: "claude-code" } } })}\n`,
};
const FIXED = { "src/theme.js": "export function theme(settings) {\n  return settings.dark ? 'dark' : 'light';\n}\n" };

let sb: Sandbox;
useSandbox((next) => void (sb = next), { files: FILES });

async function started(): Promise<{ issue: number; pr: number; branch: string; run: number; job: string }> {
  const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
  sb.label(issue, "factory:intake");
  await sb.idle();
  const pull = sb.double.pulls()[0];
  const run = sb.double.workflowRuns().at(-1);
  return { issue, pr: pull?.number ?? 0, branch: pull?.pull?.head ?? "", run: run?.id ?? 0, job: run?.inputs.job ?? "" };
}

/** GitHub Actions ran the harness: it pushed, and the run completed with its report (the webhook not yet delivered). */
function finishRun(run: number, job: string, branch: string): string {
  const head = sb.push(branch, FIXED, "Return the dark theme when asked", "github-actions[bot]");
  const report = { job, exitCode: 0, timedOut: false, durationMs: 60_000, headSha: head, commits: [{ sha: head, subject: "Return the dark theme when asked" }], files: ["src/theme.js"], insertions: 1, deletions: 1, lastLines: ["done"], costUsd: 0.5 };
  sb.double.completeWorkflowRun(run, { conclusion: "success", artifacts: { "factory-cell-output": { "output.json": JSON.stringify(report) } } });
  return head;
}

function records(thread: number): SignedRecord[] {
  return sb.double.commentsOn(thread).flatMap((c) =>
    c.user.type !== "Bot" ? [] : decodeBlocks(c.body).flatMap((b) => (b.ok ? [checkRecord(b.value, sandboxKey(sb))] : [])).flatMap((r) => (r.ok ? [r.record] : [])),
  );
}

/** What the person did is handled first; then the run's webhook arrives. */
async function handledBeforeTheRun(): Promise<void> {
  sb.sender.release((d) => d.name !== "workflow_run");
  await sb.idle();
  sb.sender.resume();
  await sb.idle();
}
const summaries = (pr: number) => sb.double.commentsOn(pr).filter((c) => c.user.type === "Bot" && c.body.startsWith("### Build summary"));

describe("a build that finishes after a person acted", () => {
  it("after /factory stop: its result is recorded and costed, says it came late, and moves nothing", async () => {
    const { issue, pr, branch, run, job } = await started();
    sb.sender.pause();
    finishRun(run, job, branch);
    sb.comment(pr, "maintainer", "/factory stop");
    await handledBeforeTheRun();

    const [summary] = summaries(pr);
    expect(summary?.body).toContain(`> **Late result.** Build job \`${job}\` finished after the artifact was stopped, so this result moves nothing`);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "stopped", running: undefined, costUsd: { build: 0.5 } });
    expect(records(pr).some((r) => r.kind === "stage.completed" && r.data.stage === "verify")).toBe(false);
  });

  it("after /factory retry build: the old job's result is late, the new job's result moves the line", async () => {
    const { issue, pr, branch, run, job } = await started();
    sb.sender.pause();
    finishRun(run, job, branch);
    sb.comment(pr, "maintainer", "/factory retry build");
    await handledBeforeTheRun();

    const second = sb.double.workflowRuns().find((r) => r.inputs.job !== job);
    const next = second?.inputs.job ?? "";
    expect(next).not.toBe(job);
    expect(summaries(pr)[0]?.body).toContain(`finished after job \`${next}\` runs now`);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "active", running: { job: next }, attempts: {} });

    finishRun(second?.id ?? 0, next, branch);
    await sb.idle();
    expect(summaries(pr)[1]?.body).not.toContain("Late result");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active", attempts: { build: 1 } });
  });

  it("after a person's push: the build counts, and the verdict is for the head as it is now, not the build's commit", async () => {
    const { issue, pr, branch, run, job } = await started();
    sb.sender.pause();
    const built = finishRun(run, job, branch);
    const pushed = sb.push(branch, { "README.md": "# widgets\n\nDark theme.\n" }, "Document the dark theme", "maintainer");
    await handledBeforeTheRun();

    const verdict = records(pr).find((r) => r.kind === "stage.completed" && r.data.stage === "verify");
    expect(verdict?.kind === "stage.completed" && verdict.data.output?.sha).toBe(pushed);
    expect(pushed).not.toBe(built);
    expect(summaries(pr)[0]?.body).not.toContain("Late result");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", verifiedSha: pushed });
  });
});

describe("an Actions dispatch that went wrong", () => {
  it("a dispatch whose answer was lost is not repeated: the look for its run finds it, one run", async () => {
    sb.injectFaults({ rate: 1, kinds: ["lost"], only: /^POST \/repos\/[^/]+\/[^/]+\/actions\/workflows\/[^/]+\/dispatches$/ });
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    sb.injectFaults(undefined);
    expect(sb.server.injected.filter((f) => f.startsWith("lost POST"))).toHaveLength(1);
    expect(sb.double.workflowRuns()).toHaveLength(1);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "active", running: { runner: "actions" } });
  });

  it("a dispatch GitHub refused (no run started): the look for its run dispatches once more, and the build goes on", async () => {
    // The first dispatch fails and is not retried (it creates something); the event's next tries do not dispatch either.
    let refused = 0;
    const handle = sb.double.handle.bind(sb.double);
    sb.double.handle = (request) => {
      if (request.method === "POST" && request.path.endsWith("/dispatches") && refused++ === 0) return { status: 500, body: { message: "Server Error" } };
      return handle(request);
    };
    const { issue, pr, branch, job } = await started();
    sb.double.handle = handle;
    const [run, ...more] = sb.double.workflowRuns();
    expect(more).toEqual([]);
    expect(run?.inputs.job).toBe(job);
    finishRun(run?.id ?? 0, job, branch);
    await sb.idle();
    expect(summaries(pr)).toHaveLength(1);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active" });
  });

  it("no run after a second dispatch either: the build fails, saying what to check, once", async () => {
    const handle = sb.double.handle.bind(sb.double);
    sb.double.handle = (request) => (request.method === "POST" && request.path.endsWith("/dispatches") ? { status: 500, body: { message: "Server Error" } } : handle(request));
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    sb.double.handle = handle;
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const failed = sb.double.commentsOn(pr).filter((c) => c.body.startsWith("### build failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body).toContain("dispatched twice: check that `.github/workflows/factory-cell.yml` is on the default branch");
    expect(sb.double.workflowRuns()).toEqual([]);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked", running: undefined });
    // The refused dispatches were errors the app logged: expected here.
    sb.errors.length = 0;
  });
});
