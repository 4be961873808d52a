import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { foldFromDouble } from "../../src/sandbox/fold-double.js";
import type { Sandbox } from "../../src/sandbox/sandbox.js";
import { decodeBlocks } from "../../src/state/codec.js";
import { SAMPLE_FILES, sandboxKey, useSandbox, VALID_BODY } from "./use-sandbox.js";

const evidence = mkdtempSync(join(tmpdir(), "factory-verify-e2e-"));
// The harness runs in the sandbox (as another user when the tests run as root): the operator shares this directory with it.
chmodSync(evidence, 0o777);
afterAll(() => rmSync(evidence, { recursive: true, force: true }));

/**
 * A harness that gets it wrong first (its "fix" breaks the other test), and right
 * when the prompt carries the verifier's failure summary. Each prompt is kept.
 */
const LEARNING_AGENT = `
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
const prompt = readFileSync(process.argv[2], "utf8");
const n = readdirSync(process.env.EVIDENCE_DIR).filter((f) => f.startsWith("prompt-")).length + 1;
writeFileSync(process.env.EVIDENCE_DIR + "/prompt-" + n + ".md", prompt);
const fixed = prompt.includes("The verifier failed the last build")
  ? "export function theme(settings) {\\n  return settings.dark ? 'dark' : 'light';\\n}\\n"
  : "export function theme(settings) {\\n  return 'dark';\\n}\\n";
writeFileSync("src/theme.js", fixed);
execFileSync("git", ["commit", "-qam", n === 1 ? "Always dark" : "Dark only when asked"]);
`;

const TESTS = [
  "import { test } from 'node:test';",
  "import assert from 'node:assert/strict';",
  "import { theme } from '../src/theme.js';",
  "test('dark setting gives the dark theme', () => {",
  "  assert.equal(theme({ dark: true }), 'dark');",
  "});",
  "test('default is the light theme', () => {",
  "  assert.equal(theme({}), 'light');",
  "});",
  "",
].join("\n");

const FILES = {
  ...SAMPLE_FILES,
  "test/theme.test.js": TESTS,
  "agent.mjs": LEARNING_AGENT,
  ".github/factory.yml": `${JSON.stringify({
    cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"], env: ["EVIDENCE_DIR"] } },
    verify: { commands: ["node --test"] },
  })}\n`,
};

function recordOf(body: string | undefined) {
  const block = decodeBlocks(body)[0];
  return block?.ok ? (block.value as { kind: string; data: { stage?: string; output?: Record<string, unknown> } }) : undefined;
}

function verdicts(sb: Sandbox, pr: number) {
  return sb.double
    .commentsOn(pr)
    .filter((c) => c.user.type === "Bot" && c.body.startsWith("### Verifier:"))
    .map((c) => ({ body: c.body, output: recordOf(c.body)?.data.output as { verdict: string; sha: string; summary: string } }));
}

describe("the verifier on the sandbox: fail, back to build, pass", () => {
  let sb: Sandbox;
  useSandbox((next) => void (sb = next), { files: FILES, harnessEnv: { FACTORY_HARNESS_ENV: "EVIDENCE_DIR", EVIDENCE_DIR: evidence, FACTORY_SANDBOX_WRITABLE: evidence } });

  it("a build that breaks a test gets a fail naming the test and assertion, goes back to build, and passes on the next attempt", async () => {
    for (const f of ["prompt-1.md", "prompt-2.md"]) rmSync(join(evidence, f), { force: true });
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;

    const [fail, pass] = verdicts(sb, pr);
    expect(fail?.output.verdict).toBe("fail");
    expect(fail?.body).toContain("default is the light theme");
    expect(fail?.body).toMatch(/Expected values to be strictly equal|'dark' !== 'light'|expected/i);
    expect(fail?.body).toContain("Back to **build**");
    expect(pass?.output.verdict).toBe("pass");
    expect(pass?.output.sha).not.toBe(fail?.output.sha);

    // The second prompt carried the failure summary.
    expect(existsSync(join(evidence, "prompt-2.md"))).toBe(true);
    const second = readFileSync(join(evidence, "prompt-2.md"), "utf8");
    expect(second).toContain("The verifier failed the last build");
    expect(second).toContain("default is the light theme");
    // The workspace was a temporary directory: the summary, the prompt and the check's annotation name the repository's file.
    expect(fail?.output.summary).toMatch(/test\/theme\.test\.js:\d+/);
    for (const text of [fail?.body ?? "", fail?.output.summary ?? "", second]) expect(text).not.toMatch(/factory-job-|\/tmp\//);

    // The gate: a factory/verify check run on each commit, failure then success.
    const runs = sb.double.checkRunsFor(fail?.output.sha ?? "").filter((r) => r.name === "factory/verify");
    expect(runs.map((r) => r.conclusion)).toEqual(["failure"]);
    expect(runs[0]?.output.annotations.map((a) => [a.path, a.annotation_level])).toEqual([["test/theme.test.js", "failure"]]);
    const passed = sb.double.checkRunsFor(pass?.output.sha ?? "").filter((r) => r.name === "factory/verify");
    expect(passed.map((r) => r.conclusion)).toEqual(["success"]);

    const artifact = foldFromDouble(sb.double, issue, sandboxKey(sb));
    expect(artifact).toMatchObject({ stage: "analyst", status: "active", verification: "pass", attempts: { build: 2, verify: 2, package: 1 } });
    expect(sb.double.pulls()[0]?.pull?.draft).toBe(false);
  });

  it("a push after the verdict makes it stale, and the artifact is verified again at the new head", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const branch = sb.double.pulls()[0]?.pull?.head ?? "";
    const before = verdicts(sb, pr).length;
    sb.push(branch, { "NOTES.md": "a person's note\n" }, "Add a note", "maintainer");
    await sb.idle();
    const stale = sb.double.commentsOn(pr).find((c) => c.body.startsWith("### Verdict stale"));
    expect(stale?.body).toContain("no longer counts");
    const after = verdicts(sb, pr);
    expect(after.length).toBe(before + 1);
    expect(after.at(-1)?.output.sha).toBe(sb.double.git.refSha(`heads/${branch}`));
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "analyst", verification: "pass" });
  });

  it("/factory verify from a user without write access is refused and changes nothing", async () => {
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const before = verdicts(sb, pr).length;
    sb.comment(pr, "reader", "/factory verify");
    await sb.idle();
    expect(sb.double.commentsOn(pr).at(-1)?.body).toContain("Sorry @reader, `/factory verify` changes the artifact");
    expect(verdicts(sb, pr).length).toBe(before);
    sb.comment(pr, "maintainer", "/factory verify");
    await sb.idle();
    expect(verdicts(sb, pr).length).toBe(before + 1);
  });
});

const CI_FILES = {
  ...SAMPLE_FILES,
  "test/theme.test.js": TESTS,
  "agent.mjs": LEARNING_AGENT,
  ".github/factory.yml": `${JSON.stringify({ cells: { build: { harness: "command", command: ["node", "agent.mjs", "{prompt_file}"], env: ["EVIDENCE_DIR"] } }, maxBuildAttempts: 1 })}\n`,
};

describe("the verifier waits on CI's check runs and is woken by their events", () => {
  let sb: Sandbox;
  // CI registers its check with the push and runs until the test finishes it.
  useSandbox((next) => void (sb = next), { files: CI_FILES, ci: { checks: ["ci/test"], registerAfterMs: 0, conclusion: "none" }, harnessEnv: { FACTORY_HARNESS_ENV: "EVIDENCE_DIR", EVIDENCE_DIR: evidence, FACTORY_SANDBOX_WRITABLE: evidence } });

  it("pending while CI runs; a failed check's annotation is the summary; with the attempts spent, the author is told once and the artifact blocked", async () => {
    for (const f of ["prompt-1.md", "prompt-2.md"]) rmSync(join(evidence, f), { force: true });
    const issue = sb.openIssue("alice", "Dark theme is never used", VALID_BODY).number;
    sb.label(issue, "factory:intake");
    await sb.idle();
    const pr = sb.double.pulls()[0]?.number ?? 0;
    const head = sb.double.git.refSha(`heads/${sb.double.pulls()[0]?.pull?.head ?? ""}`) ?? "";

    // The gate waits on CI; nothing is recorded while it runs.
    expect(verdicts(sb, pr)).toHaveLength(0);
    expect(sb.double.checkRunsFor(head).find((r) => r.name === "factory/verify")).toMatchObject({ status: "in_progress", output: { title: "Waiting on 1 check" } });
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "verify", status: "active" });

    sb.double.completeCheck(head, "ci/test", {
      conclusion: "failure",
      title: "1 test failed",
      annotations: [{ path: "test/theme.test.js", start_line: 8, end_line: 8, annotation_level: "failure", title: "default is the light theme", message: "Expected values to be strictly equal:\n'dark' !== 'light'" }],
    });
    await sb.idle();

    const [fail] = verdicts(sb, pr);
    expect(fail?.output).toMatchObject({ verdict: "fail", sha: head });
    expect(fail?.body).toContain("- default is the light theme: Expected values to be strictly equal: at test/theme.test.js:8");
    expect(sb.double.checkRunsFor(head).find((r) => r.name === "factory/verify")).toMatchObject({ status: "completed", conclusion: "failure" });
    // maxBuildAttempts: 1 — no second build; the author is mentioned in the one comment that blocks it.
    const blocked = sb.double.commentsOn(pr).filter((c) => c.body.includes("@alice"));
    expect(blocked).toHaveLength(1);
    expect(blocked[0]?.body).toContain("`budgets.build.attempts` is spent");
    expect(existsSync(join(evidence, "prompt-2.md"))).toBe(false);
    expect(foldFromDouble(sb.double, issue, sandboxKey(sb))).toMatchObject({ stage: "build", status: "blocked", verification: "fail" });
    expect(sb.double.issues.get(issue)?.labels).toContain("factory:blocked");
  });
});
