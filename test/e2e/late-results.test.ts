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
import { runCellWorkflow } from "./cell-workflow.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

/** The harness the cell workflow runs: it fixes the theme, and says what it cost. */
const AGENT = `
import { writeFileSync } from "node:fs";
writeFileSync("src/theme.js", "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n");
writeFileSync(process.argv[2], JSON.stringify({ costUsd: 0.5 }));
`;

const FILES = {
  ...SAMPLE_FILES,
  "agent.mjs": AGENT,
  ".github/workflows/factory-cell.yml": readFileSync(new URL("../../templates/workflows/factory-cell.yml", import.meta.url), "utf8"),
  ".github/factory.yml": `${JSON.stringify({ cells: { build: { runner: "actions", harness: "command", command: ["node", "agent.mjs", "{output_file}"] } } })}\n`,
};

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

/** GitHub Actions ran the workflow: the harness committed, the run uploaded the commits and its report (the webhook not yet delivered). */
async function finishRun(run: number): Promise<string> {
  const found = sb.double.workflowRuns().find((r) => r.id === run);
  if (!found) throw new Error(`no run ${run}`);
  return (await runCellWorkflow(sb, found)) ?? "";
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
    const { issue, pr, run, job } = await started();
    sb.sender.pause();
    await finishRun(run);
    sb.comment(pr, "maintainer", "/factory stop");
    await handledBeforeTheRun();

    const [summary] = summaries(pr);
    expect(summary?.body).toContain(`> **Late result.** Build job \`${job}\` finished after the artifact was stopped, so this result moves nothing`);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "stopped", running: undefined, costUsd: { build: 0.5 } });
    expect(records(pr).some((r) => r.kind === "stage.completed" && r.data.stage === "verify")).toBe(false);
  });

  it("after /factory retry build: the old job's result is late, the new job's result moves the line", async () => {
    const { issue, pr, run, job } = await started();
    sb.sender.pause();
    await finishRun(run);
    sb.comment(pr, "maintainer", "/factory retry build");
    await handledBeforeTheRun();

    const second = sb.double.workflowRuns().find((r) => r.inputs.job !== job);
    const next = second?.inputs.job ?? "";
    expect(next).not.toBe(job);
    expect(summaries(pr)[0]?.body).toContain(`finished after job \`${next}\` runs now`);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "active", running: { job: next }, attempts: {} });

    await finishRun(second?.id ?? 0);
    await sb.idle();
    expect(summaries(pr)[1]?.body).not.toContain("Late result");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active", attempts: { build: 1 } });
  });

  it("after a person's push: the run's commits no longer follow the branch, so they are not pushed, and the build says why; the person's commit stays", async () => {
    const { issue, pr, branch, run } = await started();
    sb.sender.pause();
    const built = await finishRun(run);
    const pushed = sb.push(branch, { "README.md": "# widgets\n\nDark theme.\n" }, "Document the dark theme", "maintainer");
    await handledBeforeTheRun();

    expect(sb.double.refs.get(`heads/${branch}`)).toBe(pushed);
    expect(built).not.toBe(pushed);
    const failed = sb.double.commentsOn(pr).filter((c) => c.body.startsWith("### build failed"));
    expect(failed).toHaveLength(1);
    expect(failed[0]?.body).toContain(`could not be pushed to \`${branch}\``);
    expect(failed[0]?.body).toContain("do not follow");
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
  });

  it("the run's commits are pushed by the app, so CI runs on them, and the verifier judges them", async () => {
    const { issue, pr, branch, run } = await started();
    const built = await finishRun(run);
    await sb.idle();
    // The app pushed the bundle's commits: the branch is at the harness's commit, and CI ran on it.
    expect(sb.double.refs.get(`heads/${branch}`)).toBe(built);
    expect(sb.double.git.readFile(built, "src/theme.js")).toContain("'dark' : 'light'");
    expect(sb.double.checkRunsFor(built).map((r) => [r.name, r.conclusion])).toContainEqual(["ci/test", "success"]);
    const verdict = records(pr).find((r) => r.kind === "stage.completed" && r.data.stage === "verify");
    expect(verdict?.kind === "stage.completed" && verdict.data.output).toMatchObject({ verdict: "pass", sha: built, evidence: [{ kind: "check", name: "ci/test", state: "success" }] });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", status: "active", costUsd: { build: 0.5 } });
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
    const { issue, pr, job } = await started();
    sb.double.handle = handle;
    const [run, ...more] = sb.double.workflowRuns();
    expect(more).toEqual([]);
    expect(run?.inputs.job).toBe(job);
    await finishRun(run?.id ?? 0);
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

  it("no run after a second dispatch, and the answer to the failure's comment is lost: the retry still blocks the issue's labels and tracking comment", async () => {
    const handle = sb.double.handle.bind(sb.double);
    let lost = 0;
    sb.double.handle = (request) => {
      if (request.method === "POST" && request.path.endsWith("/dispatches")) return { status: 500, body: { message: "Server Error" } };
      const body = String((request.body as { body?: unknown } | undefined)?.body ?? "");
      if (request.method === "POST" && request.path.endsWith("/comments") && body.startsWith("### build failed") && lost++ === 0) {
        handle(request);
        return { status: 502, body: { message: "Bad Gateway" } };
      }
      return handle(request);
    };
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    sb.double.handle = handle;
    expect(lost).toBe(1);
    const pr = sb.double.pulls()[0]?.number ?? 0;
    expect(sb.double.commentsOn(pr).filter((c) => c.body.startsWith("### build failed"))).toHaveLength(1);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked" });
    expect(sb.double.issues.get(issue)?.labels).toContain("factory:blocked");
    const tracking = sb.double.commentsOn(issue).find((c) => c.body.startsWith("### Software Factory:"))?.body ?? "";
    expect(tracking).toMatch(/blocked/i);
    sb.errors.length = 0;
  });
});
